#include "subsidy/error.hpp"

#include <utility>

namespace subsidy {

std::string Mark::to_string() const {
  std::string out = file;
  if (line > 0) {
    out += (out.empty() ? "" : ":") + std::to_string(line);
    if (column > 0) out += ":" + std::to_string(column);
  }
  if (!field.empty()) out += (out.empty() ? "" : ":") + std::string("[") + field + "]";
  return out;
}

const char* to_string(ErrorKind kind) noexcept {
  switch (kind) {
    case ErrorKind::parse:
      return "parse";
    case ErrorKind::yaml:
      return "yaml";
    case ErrorKind::schema:
      return "schema";
    case ErrorKind::unit:
      return "unit";
    case ErrorKind::name:
      return "name";
    case ErrorKind::cycle:
      return "cycle";
    case ErrorKind::tiers:
      return "tiers";
    case ErrorKind::citation:
      return "citation";
    case ErrorKind::option:
      return "option";
    case ErrorKind::parameter:
      return "parameter";
    case ErrorKind::fact:
      return "fact";
    case ErrorKind::overflow:
      return "overflow";
    case ErrorKind::division:
      return "division";
    case ErrorKind::limit:
      return "limit";
    case ErrorKind::io:
      return "io";
    case ErrorKind::evaluation:
      return "evaluation";
    case ErrorKind::audit:
      return "audit";
    case ErrorKind::usage:
      return "usage";
  }
  return "error";
}

Error::Error(ErrorKind kind, std::string message, Mark mark)
    : kind_(kind), message_(std::move(message)), mark_(std::move(mark)) {
  render();
}

Error Error::expected(ErrorKind kind, const std::string& expected, const std::string& found,
                      Mark mark, const std::string& context) {
  std::string message = context.empty() ? std::string() : context + ": ";
  message += "expected " + expected + ", found " + found;
  return Error(kind, std::move(message), std::move(mark));
}

Error& Error::locate(const Mark& mark) {
  if (mark_.file.empty()) mark_.file = mark.file;
  if (mark_.line == 0) {
    mark_.line = mark.line;
    mark_.column = mark.column;
  }
  if (mark_.field.empty()) mark_.field = mark.field;
  render();
  return *this;
}

void Error::render() {
  std::string where = mark_.to_string();
  what_ = (where.empty() ? std::string() : where + ": ") + "error[" + subsidy::to_string(kind_) +
          "]: " + message_;
}

namespace {
std::string summarize(const std::vector<Error>& errors) {
  std::string out = std::to_string(errors.size()) + (errors.size() == 1 ? " error" : " errors");
  for (const auto& e : errors) out += "\n" + std::string(e.what());
  return out;
}
}  // namespace

ErrorList::ErrorList(std::vector<Error> errors)
    : Error(errors.empty() ? ErrorKind::usage : errors.front().kind(), summarize(errors)),
      errors_(std::move(errors)) {
  // One error per line, each with its own location: the list itself has none.
  std::string what;
  for (const auto& e : errors_) what += (what.empty() ? "" : "\n") + std::string(e.what());
  set_what(what.empty() ? "no errors" : what);
}

}  // namespace subsidy
