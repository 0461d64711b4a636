// Errors: one exception hierarchy, each error carrying where it happened (file, line, column),
// what was expected and what was found.
#pragma once

#include <cstdint>
#include <exception>
#include <string>
#include <utility>
#include <vector>

namespace subsidy {

/// A place in an input: file (or input name), 1-based line and column; 0 means "not known".
/// For CSV inputs, `line` is the row and `field` names the column.
struct Mark {
  std::string file;
  int line = 0;
  int column = 0;
  std::string field;

  /// "file:line:column" (parts that are unknown are left out).
  std::string to_string() const;
};

/// What went wrong, in the words a user can search for in the documentation.
enum class ErrorKind : std::uint8_t {
  parse,       ///< a value's text is malformed (a decimal, a date, an expression)
  yaml,        ///< YAML syntax
  schema,      ///< unknown key, duplicate key, missing key, wrong type
  unit,        ///< money combined with a rate, a count compared with money, ...
  name,        ///< undefined or duplicated name
  cycle,       ///< derived values that depend on themselves
  tiers,       ///< tiers that overlap or leave gaps
  citation,    ///< missing or malformed citation
  option,      ///< unknown interpretation option or choice
  parameter,   ///< parameter versions out of order, no version in force
  fact,        ///< missing required fact, fact of the wrong type
  overflow,    ///< a value outside what the library can represent
  division,    ///< division by zero
  limit,       ///< an input larger than a documented limit
  io,          ///< a file that cannot be read or written
  evaluation,  ///< a rule that cannot be evaluated on the given facts
  audit,       ///< a ledger row that cannot be read
  usage,       ///< a call that breaks an API precondition
};

const char* to_string(ErrorKind kind) noexcept;

/// The one exception type of the library. `what()` reads "file:line:col: error[kind]: message".
class Error : public std::exception {
 public:
  Error(ErrorKind kind, std::string message, Mark mark = {});

  /// "expected <expected>, found <found>" with an optional context prefix.
  static Error expected(ErrorKind kind, const std::string& expected, const std::string& found,
                        Mark mark = {}, const std::string& context = {});

  ErrorKind kind() const noexcept { return kind_; }
  const Mark& mark() const noexcept { return mark_; }
  const std::string& message() const noexcept { return message_; }
  const char* what() const noexcept override { return what_.c_str(); }

  /// Fills in the location if the error did not know it (errors raised deep in a value parser
  /// learn their file and line from the loader that called it).
  Error& locate(const Mark& mark);

 protected:
  void set_what(std::string what) { what_ = std::move(what); }

 private:
  void render();
  ErrorKind kind_;
  std::string message_;
  Mark mark_;
  std::string what_;
};

/// Several errors found by one check: `check` reports every problem, not just the first.
class ErrorList : public Error {
 public:
  explicit ErrorList(std::vector<Error> errors);
  const std::vector<Error>& errors() const noexcept { return errors_; }

 private:
  std::vector<Error> errors_;
};

}  // namespace subsidy
