// Conformance: runs the General Decimal Arithmetic test cases (Mike Cowlishaw's decTest files) that
// an exact decimal can model, and counts the rest by the reason they do not apply.
//
// The files are read from SUBSIDY_SHARED_DIR/decimaltestdata and never copied into the repository
// (IBM copyright, no licence grant). A case is applicable when its operands are finite and the
// result the spec gives under the file's context is the exact result: no Inexact, Rounded,
// Overflow, Underflow, Subnormal or Clamped condition. quantize rounds by the context's mode, so
// its rounded cases are run too; only its Invalid_operation cases are skipped. The library has no
// negative zero: an expected "-0..." matches a zero with the same exponent and is counted apart.
#include <doctest/doctest.h>

#include <array>
#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "subsidy/decimal.hpp"

namespace {

using subsidy::Decimal;
using subsidy::Error;
using subsidy::ErrorKind;
using subsidy::Rounding;

enum class Skip { nan_infinity, precision, exponent, invalid, null_operand, other };
constexpr std::array<const char*, 6> kSkipNames = {
    "NaN/infinity operand",
    "precision-limited result (Inexact/Rounded)",
    "exponent out of range (Overflow/Underflow/Subnormal/Clamped, or beyond ±999999)",
    "invalid operation",
    "null operand '#'",
    "other (interchange-format operand, unknown operation, extended: 0)"};

struct Context {
  std::int64_t precision = 9;
  Rounding rounding = Rounding::half_up;
  std::int64_t max_exponent = 999;
  std::int64_t min_exponent = -999;
  bool extended = true;
  bool clamp = false;
};

struct Counts {
  int applicable = 0;
  int passed = 0;
  int negative_zero_matched = 0;
  std::map<Skip, int> skipped;
  int failures = 0;
};

std::string lower(std::string s) {
  for (char& ch : s) {
    if (ch >= 'A' && ch <= 'Z') ch = static_cast<char>(ch - 'A' + 'a');
  }
  return s;
}

struct Token {
  std::string text;
  bool quoted = false;
};

// Splits a decTest line: whitespace-separated tokens, '...' or "..." quoting with doubled quotes
// inside, and "--" starting a comment outside quotes.
std::vector<Token> tokenize(const std::string& line) {
  std::vector<Token> out;
  std::size_t i = 0;
  while (i < line.size()) {
    while (i < line.size() && (line[i] == ' ' || line[i] == '\t' || line[i] == '\r')) ++i;
    if (i >= line.size()) break;
    if (line.compare(i, 2, "--") == 0) break;
    Token t;
    if (line[i] == '\'' || line[i] == '"') {
      const char q = line[i++];
      t.quoted = true;
      while (i < line.size()) {
        if (line[i] == q) {
          if (i + 1 < line.size() && line[i + 1] == q) {
            t.text += q;
            i += 2;
            continue;
          }
          ++i;
          break;
        }
        t.text += line[i++];
      }
    } else {
      while (i < line.size() && line[i] != ' ' && line[i] != '\t' && line[i] != '\r') {
        t.text += line[i++];
      }
    }
    out.push_back(t);
  }
  return out;
}

bool is_special(const std::string& operand) {
  const std::string s = lower(operand);
  return s.find("nan") != std::string::npos || s.find("inf") != std::string::npos;
}

bool has(const std::vector<std::string>& conditions, const char* name) {
  for (const auto& c : conditions) {
    if (lower(c) == lower(name)) return true;
  }
  return false;
}

// The expected result without a leading '-' when it is a zero: we have no negative zero.
bool strip_negative_zero(std::string& expected) {
  if (expected.size() < 2 || expected[0] != '-') return false;
  for (std::size_t i = 1; i < expected.size(); ++i) {
    const char ch = expected[i];
    if (ch == 'E' || ch == 'e') break;
    if (ch != '0' && ch != '.') return false;
  }
  expected.erase(0, 1);
  return true;
}

struct Case {
  std::string id;
  std::string op;
  std::vector<Token> operands;
  std::string result;
  std::vector<std::string> conditions;
};

// Why a case cannot be modelled by an exact decimal, or nothing when it can.
bool classify(const Case& c, const Context& ctx, Skip& why) {
  static const std::vector<std::string> kOps = {"add",      "subtract", "multiply",
                                                "quantize", "compare",  "reduce"};
  bool known = false;
  for (const auto& op : kOps) known = known || c.op == op;
  if (!known || !ctx.extended) {
    why = Skip::other;
    return true;
  }
  for (const auto& o : c.operands) {
    if (!o.quoted && o.text == "#") {
      why = Skip::null_operand;
      return true;
    }
  }
  for (const auto& o : c.operands) {
    if (o.text.find('#') != std::string::npos) {
      why = Skip::other;
      return true;
    }
  }
  if (c.result.find('#') != std::string::npos) {
    why = Skip::other;
    return true;
  }
  for (const auto& o : c.operands) {
    if (is_special(o.text)) {
      why = Skip::nan_infinity;
      return true;
    }
  }
  if (has(c.conditions, "Invalid_operation") || has(c.conditions, "Division_by_zero") ||
      has(c.conditions, "Division_impossible") || has(c.conditions, "Division_undefined") ||
      has(c.conditions, "Conversion_syntax") || is_special(c.result)) {
    why = Skip::invalid;
    return true;
  }
  if (has(c.conditions, "Overflow") || has(c.conditions, "Underflow") ||
      has(c.conditions, "Clamped")) {
    why = Skip::exponent;
    return true;
  }
  if (c.op == "quantize") {
    // Subnormal quantize results are exact by quantize's own definition.
    for (const auto& cond : c.conditions) {
      const std::string l = lower(cond);
      if (l != "inexact" && l != "rounded" && l != "subnormal") {
        why = Skip::other;
        return true;
      }
    }
    return false;
  }
  if (has(c.conditions, "Subnormal")) {
    why = Skip::exponent;
    return true;
  }
  if (has(c.conditions, "Inexact") || has(c.conditions, "Rounded")) {
    why = Skip::precision;
    return true;
  }
  if (!c.conditions.empty()) {
    why = Skip::other;
    return true;
  }
  return false;
}

std::string run_case(const Case& c, const Context& ctx, const std::vector<Decimal>& v) {
  if (c.op == "add") return (v[0] + v[1]).to_scientific_string();
  if (c.op == "subtract") return (v[0] - v[1]).to_scientific_string();
  if (c.op == "multiply") return (v[0] * v[1]).to_scientific_string();
  if (c.op == "compare") return std::to_string(v[0].compare(v[1]));
  if (c.op == "reduce") return v[0].reduce().to_scientific_string();
  return v[0].quantize(v[1].exponent(), ctx.rounding).to_scientific_string();
}

Counts run_file(const std::string& name) {
  const std::string path = std::string(SUBSIDY_SHARED_DIR) + "/decimaltestdata/" + name;
  std::ifstream in(path);
  REQUIRE_MESSAGE(in.good(), "cannot read " << path);
  // SUBSIDY_DECTEST_VERBOSE=1 lists every skipped case with its reason, for auditing the filter.
  const char* verbose_env = std::getenv("SUBSIDY_DECTEST_VERBOSE");
  const bool verbose = verbose_env != nullptr && std::string(verbose_env) == "1";
  Context ctx;
  Counts counts;
  std::string line;
  int line_no = 0;
  while (std::getline(in, line)) {
    ++line_no;
    const auto tokens = tokenize(line);
    if (tokens.empty()) continue;
    const std::string& first = tokens[0].text;
    if (!tokens[0].quoted && !first.empty() && first.back() == ':') {
      REQUIRE_MESSAGE(tokens.size() >= 2, name << ":" << line_no << ": directive without a value");
      const std::string key = lower(first.substr(0, first.size() - 1));
      const std::string value = tokens[1].text;
      if (key == "precision") {
        ctx.precision = std::stoll(value);
      } else if (key == "rounding") {
        ctx.rounding = subsidy::parse_rounding(value);
      } else if (key == "maxexponent") {
        ctx.max_exponent = std::stoll(value);
      } else if (key == "minexponent") {
        ctx.min_exponent = std::stoll(value);
      } else if (key == "extended") {
        ctx.extended = value == "1";
      } else if (key == "clamp") {
        ctx.clamp = value == "1";
      }
      continue;  // version: and any other directive carry no context
    }
    Case c;
    std::size_t arrow = 0;
    while (arrow < tokens.size() && !(tokens[arrow].text == "->" && !tokens[arrow].quoted)) {
      ++arrow;
    }
    REQUIRE_MESSAGE(arrow + 1 < tokens.size(), name << ":" << line_no << ": no result in " << line);
    REQUIRE_MESSAGE(arrow >= 2, name << ":" << line_no << ": no operation in " << line);
    c.id = tokens[0].text;
    c.op = lower(tokens[1].text);
    c.operands.assign(tokens.begin() + 2, tokens.begin() + static_cast<std::ptrdiff_t>(arrow));
    c.result = tokens[arrow + 1].text;
    for (std::size_t i = arrow + 2; i < tokens.size(); ++i) c.conditions.push_back(tokens[i].text);

    Skip why = Skip::other;
    if (classify(c, ctx, why)) {
      ++counts.skipped[why];
      if (verbose)
        std::cout << "skip [" << kSkipNames[static_cast<std::size_t>(why)] << "] " << line << "\n";
      continue;
    }
    const std::size_t arity = (c.op == "reduce") ? 1 : 2;
    if (c.operands.size() != arity) {
      ++counts.skipped[Skip::other];
      continue;
    }
    // Operands and results beyond our exponent or digit limits cannot be modelled.
    std::vector<Decimal> values;
    std::string expected = c.result;
    try {
      for (const auto& o : c.operands) values.push_back(Decimal::parse_scientific(o.text));
      if (c.op != "compare") (void)Decimal::parse_scientific(expected);
    } catch (const Error& e) {
      if (e.kind() == ErrorKind::overflow) {
        ++counts.skipped[Skip::exponent];
        if (verbose) std::cout << "skip [beyond our limits] " << line << "\n";
        continue;
      }
      ++counts.failures;
      FAIL_CHECK(name << ":" << line_no << " " << c.id << ": cannot read operands: " << e.what());
      continue;
    }
    ++counts.applicable;
    const bool negative_zero = strip_negative_zero(expected);
    std::string got;
    try {
      got = run_case(c, ctx, values);
    } catch (const Error& e) {
      got = std::string("threw ") + e.what();
    }
    if (got == expected) {
      ++counts.passed;
      if (negative_zero) ++counts.negative_zero_matched;
      // An exact result the spec did not round must fit the context's precision.
      if (c.op != "compare") {
        const Decimal r = Decimal::parse_scientific(got);
        CHECK_MESSAGE(static_cast<std::int64_t>(r.digits()) <= ctx.precision,
                      c.id << ": " << got << " has more digits than precision " << ctx.precision);
      }
    } else {
      ++counts.failures;
      FAIL_CHECK(name << ":" << line_no << " " << c.id << ": " << line << "\n  got      " << got
                      << "\n  expected " << c.result);
    }
  }
  return counts;
}

void report(const std::string& name, const Counts& c) {
  std::ostringstream out;
  int skipped = 0;
  for (const auto& [why, n] : c.skipped) skipped += n;
  out << name << ": " << c.applicable << " applicable, " << c.passed << " passed ("
      << c.negative_zero_matched << " expected -0 matched as 0), " << skipped << " skipped";
  for (const auto& [why, n] : c.skipped) {
    out << "\n    " << kSkipNames[static_cast<std::size_t>(why)] << ": " << n;
  }
  std::cout << out.str() << std::endl;
}

void check_file(const std::string& name, int minimum_applicable) {
  const Counts c = run_file(name);
  report(name, c);
  CHECK(c.failures == 0);
  CHECK(c.passed == c.applicable);
  // A floor on the applicable count keeps a parsing slip from silently running nothing.
  CHECK_MESSAGE(c.applicable >= minimum_applicable,
                name << ": only " << c.applicable << " applicable cases");
}

}  // namespace

TEST_CASE("decTest add") { check_file("add.decTest", 700); }
TEST_CASE("decTest subtract") { check_file("subtract.decTest", 300); }
TEST_CASE("decTest multiply") { check_file("multiply.decTest", 130); }
TEST_CASE("decTest quantize") { check_file("quantize.decTest", 500); }
TEST_CASE("decTest compare") { check_file("compare.decTest", 450); }
TEST_CASE("decTest reduce") { check_file("reduce.decTest", 120); }
