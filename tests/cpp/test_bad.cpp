// The bad-input catalogue (tests/bad/, format in tests/bad/README.md): every case is one bad rule
// file, facts file, amount or expression, and the exact error it must give (kind, file, line,
// column, field, message). Each case runs under a watchdog (watchdog.hpp): a case that spins or
// blocks ends the test process with its name. Big inputs (a 100 MB file, a 2 MB line, deep nesting,
// a million items) are written by this runner into the build tree at test time, never committed.
#include <doctest/doctest.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <optional>
#include <string>
#include <vector>

#include "document.hpp"    // private: parse_yaml, read_file (for expected.yaml and inputs)
#include "expression.hpp"  // private: parse_expression
#include "subsidy/subsidy.hpp"
#include "watchdog.hpp"

namespace fs = std::filesystem;
using subsidy::Error;
using subsidy::RawValue;

namespace {

const fs::path kCatalogue = fs::path(SUBSIDY_SOURCE_DIR) / "tests" / "bad";
// A case hangs when it spins past this much CPU time or uses no CPU for the stall time; both are
// far above what any case needs, even under sanitizers, and neither depends on the machine's load.
constexpr subsidy_test::WatchdogLimits kLimits{std::chrono::seconds(60), std::chrono::seconds(120)};

std::string text_of(const RawValue* v) {
  return v && v->kind == RawValue::Kind::text ? v->text : std::string();
}

int int_of(const RawValue* v) { return v ? std::stoi(text_of(v)) : 0; }

struct Expected {
  std::string kind, file, field, message;
  int line = 0, column = 0;
};

struct Case {
  std::string name;
  fs::path dir;
  std::string target;    ///< rules | facts | decimal | expression
  std::string generate;  ///< a generator below, or empty
  std::vector<std::string> inputs;
  std::vector<fs::path> with;  ///< rule files or folders loaded before the inputs
  bool evaluate = false;       ///< facts: also evaluate every enterprise
  std::string facts;           ///< ledger: facts to audit the ledger against (in the case folder)
  Expected error;
};

Case read_case(const fs::path& dir) {
  const fs::path file = dir / "expected.yaml";
  const RawValue doc =
      subsidy::detail::parse_yaml(file.string(), subsidy::detail::read_file(file.string()));
  Case c;
  c.name = dir.filename().string();
  c.dir = dir;
  c.target = text_of(subsidy::detail::find(doc, "target"));
  c.generate = text_of(subsidy::detail::find(doc, "generate"));
  c.evaluate = text_of(subsidy::detail::find(doc, "evaluate")) == "true";
  c.facts = text_of(subsidy::detail::find(doc, "facts"));
  if (const RawValue* inputs = subsidy::detail::find(doc, "inputs")) {
    for (const auto& item : inputs->items) c.inputs.push_back(item.text);
  } else {
    for (const auto& entry : fs::directory_iterator(dir)) {
      const std::string input = entry.path().filename().string();
      if (input != "expected.yaml" && input != c.facts) c.inputs.push_back(input);
    }
    std::sort(c.inputs.begin(), c.inputs.end());
  }
  if (const RawValue* with = subsidy::detail::find(doc, "with")) {
    for (const auto& item : with->items) c.with.push_back(dir / item.text);
  } else if (c.target == "facts" || c.target == "ledger") {
    c.with.push_back(fs::path(SUBSIDY_SOURCE_DIR) / "tests" / "data" / "engine");
  }
  const RawValue* error = subsidy::detail::find(doc, "error");
  REQUIRE_MESSAGE(error != nullptr, c.name << ": expected.yaml needs 'error'");
  c.error.kind = text_of(subsidy::detail::find(*error, "kind"));
  c.error.file = text_of(subsidy::detail::find(*error, "file"));
  c.error.field = text_of(subsidy::detail::find(*error, "field"));
  c.error.message = text_of(subsidy::detail::find(*error, "message"));
  c.error.line = int_of(subsidy::detail::find(*error, "line"));
  c.error.column = int_of(subsidy::detail::find(*error, "column"));
  return c;
}

// --- generated inputs: too big to commit ---------------------------------------------------------

void write(const fs::path& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary);
  out << text;
}

const std::string kPolicyHead = "policy_set:\n  id: p\n  title: P\n";

/// Writes the case's input for a generator into `scratch`; returns false for an unknown name.
bool generate(const std::string& generator, const fs::path& path) {
  if (generator == "file-of-100mb") {  // sparse: the size is refused before anything is read
    write(path, kPolicyHead);
    fs::resize_file(path, 100u * 1024u * 1024u);
  } else if (generator == "line-of-2mb") {
    write(path, kPolicyHead + "  notes: \"" + std::string(2'000'000, 'x') + "\"\n");
  } else if (generator == "csv-cell-of-2mb") {
    write(path, "id,sector,name\nA1,制造," + std::string(2'000'000, 'x') + "\n");
  } else if (generator == "nesting-100k-flow") {
    write(path, kPolicyHead + "notes: " + std::string(100'000, '['));
  } else if (generator == "nesting-200-block") {
    std::string text = kPolicyHead + "notes:\n";
    for (int depth = 1; depth <= 200; ++depth)
      text += std::string(static_cast<std::size_t>(depth) * 2, ' ') + "a:\n";
    write(path, text);
  } else if (generator == "list-of-1m-items") {
    std::string text = kPolicyHead + "rules: [";
    for (int i = 0; i <= 1'000'000; ++i) text += "0,";
    write(path, text + "0]\n");
  } else if (generator == "csv-1001-columns") {
    std::string header = "id", row = "A1";
    for (int i = 1; i <= 1001; ++i) {
      header += ",c" + std::to_string(i);
      row += ",1";
    }
    write(path, header + "\n" + row + "\n");
  } else if (generator == "expression-of-10001-bytes") {
    std::string expr = "1";
    while (expr.size() < 10'001) expr += " + 1";
    write(path, kPolicyHead + "derived:\n  d: {unit: number, expr: \"" + expr + "\"}\n");
  } else if (generator == "digits-5000") {
    write(path, "1" + std::string(5000, '0'));
  } else if (generator == "anchors-nested") {  // 60 anchored lists, one inside the other, no alias
    std::string text = kPolicyHead + "notes: ";
    for (int depth = 0; depth < 60; ++depth) text += "&a" + std::to_string(depth) + " [";
    for (int i = 0; i < 30'000; ++i) text += "0,";
    text += "0" + std::string(60, ']') + "\n";
    write(path, text);
  } else if (generator == "csv-100001-records" || generator == "csv-52381-records") {
    // One record past the population limit: 100 000 records, or fewer when the rules declare
    // many facts (the bundled rules: 52 380).
    const int records = generator == "csv-100001-records" ? 100'001 : 52'381;
    std::string text = generator == "csv-100001-records" ? "id,sector\n" : "id,industry\n";
    const std::string value = generator == "csv-100001-records" ? ",制造\n" : ",机械加工\n";
    for (int i = 1; i <= records; ++i) text += "E" + std::to_string(i) + value;
    write(path, text);
  } else if (generator == "ledger-25001-grants") {  // one grant past the ledger limit
    std::string text = "enterprise,policy_set,rule,year,amount,payer\n";
    for (int i = 1; i <= 25'001; ++i) text += "E" + std::to_string(i) + ",p,r,2010,1,市财政\n";
    write(path, text);
  } else if (generator == "fifo") {  // a named pipe with no writer: opening it would block
    if (::mkfifo(path.c_str(), 0600) != 0) return false;
  } else {
    return false;
  }
  return true;
}

// --- running a case
// --------------------------------------------------------------------------------

std::string file_text(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

/// The error the case's input gives, or nothing if it was accepted.
std::optional<Error> first_error(const Case& c, const fs::path& scratch) {
  std::vector<fs::path> inputs;
  for (const auto& name : c.inputs) inputs.push_back(c.dir / name);
  if (!c.generate.empty()) {
    REQUIRE_MESSAGE(c.inputs.size() == 1, c.name << ": a generated case names its one input");
    fs::create_directories(scratch / c.name);
    inputs = {scratch / c.name / c.inputs[0]};
    REQUIRE_MESSAGE(generate(c.generate, inputs[0]),
                    c.name << ": unknown generator '" << c.generate << "'");
  }
  try {
    if (c.target == "rules") {
      std::vector<std::string> paths;
      for (const auto& p : c.with) paths.push_back(p.string());
      for (const auto& p : inputs) paths.push_back(p.string());
      (void)subsidy::RuleSet::load(paths);
    } else if (c.target == "facts") {
      std::vector<std::string> paths;
      for (const auto& p : c.with) paths.push_back(p.string());
      const auto rules = subsidy::RuleSet::load(paths);
      std::vector<subsidy::Enterprise> firms;  // several inputs: one population, as in the CLIs
      for (const auto& input : inputs) {
        for (auto& e : subsidy::load_enterprises(rules, input.string()))
          firms.push_back(std::move(e));
      }
      subsidy::check_population(firms);
      if (c.evaluate) {
        for (const auto& firm : firms) {
          auto evaluation = subsidy::evaluate(rules, firm, {});
          if (evaluation.error) return evaluation.error;
          // A rule left out for want of a fact: the first one, as an error at the record.
          if (!evaluation.unevaluated.empty()) {
            return Error(subsidy::ErrorKind::fact, evaluation.unevaluated.front().message,
                         firm.mark);
          }
        }
      }
    } else if (c.target == "ledger") {
      std::vector<std::string> paths;
      for (const auto& p : c.with) paths.push_back(p.string());
      const auto rules = subsidy::RuleSet::load(paths);
      REQUIRE(inputs.size() == 1);
      const auto ledger = subsidy::load_ledger(inputs[0].string());
      if (!c.facts.empty()) {  // the first audit finding, as an error of kind audit
        const auto firms = subsidy::load_enterprises(rules, (c.dir / c.facts).string());
        const auto report = subsidy::audit(rules, firms, ledger, {});
        if (!report.findings.empty()) {
          const auto& f = report.findings.front();
          return Error(subsidy::ErrorKind::audit,
                       std::string(subsidy::to_string(f.kind)) + ": " + f.message, f.row);
        }
      }
    } else if (c.target == "decimal") {
      REQUIRE(inputs.size() == 1);
      (void)subsidy::Decimal::parse(file_text(inputs[0]));
    } else if (c.target == "expression") {
      REQUIRE(inputs.size() == 1);
      (void)subsidy::detail::parse_expression(
          file_text(inputs[0]), subsidy::Mark{inputs[0].filename().string(), 1, 1, {}});
    } else {
      FAIL(c.name << ": unknown target '" << c.target << "'");
    }
  } catch (const subsidy::ErrorList& list) {
    if (std::getenv("SUBSIDY_BAD_PRINT")) {
      if (list.errors().size() != 1) std::cout << list.what() << "\n";
    } else {
      INFO(c.name << ": " << list.what());
      CHECK_MESSAGE(list.errors().size() == 1,
                    c.name << ": one error expected, got " << list.errors().size());
    }
    return list.errors().front();
  } catch (const Error& e) {
    return e;
  }
  return std::nullopt;
}

/// An actual error in the catalogue's format, for writing a new case's expected.yaml.
std::string as_yaml(const Error& e) {
  const auto& m = e.mark();
  std::string out = "error:\n  kind: " + std::string(subsidy::to_string(e.kind())) + "\n";
  if (!m.file.empty()) out += "  file: " + fs::path(m.file).filename().string() + "\n";
  if (m.line) out += "  line: " + std::to_string(m.line) + "\n";
  if (m.column) out += "  column: " + std::to_string(m.column) + "\n";
  if (!m.field.empty()) out += "  field: " + m.field + "\n";
  std::string quoted;
  for (const char ch : e.message()) {
    if (ch == '\\' || ch == '"') quoted += '\\';
    quoted += ch;
  }
  return out + "  message: \"" + quoted + "\"\n";
}

std::vector<fs::path> case_dirs() {
  std::vector<fs::path> dirs;
  for (const auto& entry : fs::directory_iterator(kCatalogue)) {
    if (entry.is_directory() && fs::exists(entry.path() / "expected.yaml"))
      dirs.push_back(entry.path());
  }
  std::sort(dirs.begin(), dirs.end());
  return dirs;
}

}  // namespace

TEST_CASE("tests/bad: every bad input gives exactly its catalogued error, in time") {
  const auto dirs = case_dirs();
  CHECK(dirs.size() >= 50);
  const fs::path scratch =
      fs::temp_directory_path() / ("subsidy-bad-" + std::to_string(::getpid()));
  subsidy_test::Watchdog watchdog(kLimits);
  for (const auto& dir : dirs) {
    const Case c = read_case(dir);
    // Workbooks are read by the Python package: tests/python/test_bad_python.py runs those cases.
    if (c.target.rfind("python-", 0) == 0) continue;
    INFO("case " << c.name);
    watchdog.start(c.name);
    const auto started = std::chrono::steady_clock::now();
    const std::optional<Error> error = first_error(c, scratch);
    const auto seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    watchdog.done();
    if (!c.generate.empty()) fs::remove_all(scratch / c.name);
    if (std::getenv("SUBSIDY_BAD_PRINT")) {  // authoring: print the actual errors, check nothing
      std::cout << "--- " << c.name << " (" << seconds << " s)\n"
                << (error ? as_yaml(*error) : "no error\n");
      continue;
    }
    REQUIRE_MESSAGE(error.has_value(), c.name << ": the input was accepted");
    INFO("actual:\n" << as_yaml(*error));
    CHECK(subsidy::to_string(error->kind()) == c.error.kind);
    CHECK(fs::path(error->mark().file).filename().string() == c.error.file);
    CHECK(error->mark().line == c.error.line);
    CHECK(error->mark().column == c.error.column);
    CHECK(error->mark().field == c.error.field);
    CHECK(error->message() == c.error.message);
  }
  fs::remove_all(scratch);
  // No case may exhaust memory: the whole catalogue, bombs included, stays within 1.5 GB.
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  CHECK(usage.ru_maxrss < 1536L * 1024L);  // kilobytes
}

TEST_CASE("a long text in a message is cut at a character boundary, never inside one") {
  RawValue text;
  text.kind = RawValue::Kind::text;
  std::string thirteen;
  for (int i = 0; i < 13; ++i) thirteen += "标";  // 39 bytes: the 14th character spans byte 40
  text.text = thirteen + "标标";
  CHECK(subsidy::detail::describe(text) == "\"" + thirteen + "…\"");
}
