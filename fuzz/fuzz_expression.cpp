// libFuzzer target: the expression language. The bytes are parsed as an expression on their own
// (syntax), then placed in a rule set as a formula and as a condition, type-checked against a
// the engine's test rules (tests/data/engine) and, if they load, evaluated on its test enterprise.
// Any stage may reject the input with subsidy::Error; nothing may crash, hang or throw anything
// else.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <fstream>
#include <iterator>
#include <string>
#include <utility>
#include <vector>

#include "expression.hpp"  // private: parse_expression
#include "subsidy/subsidy.hpp"

namespace {

/// The engine's test rules (a catalogue with every fact type, two policy sets) and enterprise.
const std::vector<std::pair<std::string, std::string>>& engine_rules() {
  static const auto sources =
      subsidy::RuleSet::load({SUBSIDY_SOURCE_DIR "/tests/data/engine"}).sources();
  return sources;
}

std::string engine_facts() {
  std::ifstream in(SUBSIDY_SOURCE_DIR "/tests/data/engine-facts.yaml");
  return std::string(std::istreambuf_iterator<char>(in), {});
}

/// The text as a YAML double-quoted scalar (every byte that needs it escaped).
std::string quoted(const std::string& text) {
  std::string out = "\"";
  for (const char c : text) {
    const auto u = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (u < 0x20 || u == 0x7F) {
      char buffer[8];
      std::snprintf(buffer, sizeof buffer, "\\x%02X", u);
      out += buffer;
    } else {
      out += c;
    }
  }
  return out + "\"";
}

void load_and_evaluate(const std::string& rule) {
  static const std::string facts = engine_facts();
  auto sources = engine_rules();
  sources.emplace_back("fz.yaml",
                       "policy_set:\n  id: fz\n  title: {zh: 表达式, en: Expressions}\n"
                       "parameters:\n  floor: {unit: money, value: 6万}\nrules:\n" +
                           rule);
  try {
    const auto rules = subsidy::RuleSet::load_texts(sources);
    const auto firms = subsidy::parse_enterprises(rules, "facts.yaml", facts);
    subsidy::Scenario scenario;
    scenario.trace = true;
    for (const auto& firm : firms) {
      const auto evaluation = subsidy::evaluate(rules, firm, scenario);
      (void)subsidy::to_json(evaluation, true);
    }
  } catch (const subsidy::Error&) {
  }
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  (void)engine_rules();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size > 4096) return -1;  // expressions are short; longer inputs only slow the search
  const std::string text(reinterpret_cast<const char*>(data), size);
  try {
    (void)subsidy::detail::parse_expression(text, subsidy::Mark{"e", 1, 1, {}});
  } catch (const subsidy::Error&) {
    return 0;  // a syntax error: the loader would report the same
  }
  const std::string head =
      "  - id: R\n    citation: {clause: 一, text: \"条款\"}\n    payer: 市财政\n";
  load_and_evaluate(head + "    award: {formula: " + quoted(text) + "}\n");
  load_and_evaluate(head + "    when: " + quoted(text) + "\n    award: {fixed: 1万}\n");
  return 0;
}
