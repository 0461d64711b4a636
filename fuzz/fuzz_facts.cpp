// libFuzzer target: enterprise facts (YAML/JSON and CSV) typed against a fixed rule set
// (tests/data/engine), then evaluated and rendered as JSON. Every input is read both as YAML and
// as CSV. Any input may be rejected with subsidy::Error; nothing may crash or hang.
#include <cstddef>
#include <cstdint>
#include <string>

#include "subsidy/subsidy.hpp"

namespace {

const subsidy::RuleSet& rules() {
  static const subsidy::RuleSet loaded =
      subsidy::RuleSet::load({SUBSIDY_SOURCE_DIR "/tests/data/engine"});
  return loaded;
}

void typed_and_evaluated(const std::string& name, const std::string& text) {
  try {
    const auto firms = subsidy::parse_enterprises(rules(), name, text);
    subsidy::Scenario scenario;
    scenario.trace = true;
    for (const auto& evaluation : subsidy::evaluate_batch(rules(), firms, scenario, 1)) {
      (void)subsidy::to_json(evaluation, true);
    }
  } catch (const subsidy::Error&) {
  }
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  (void)rules();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  typed_and_evaluated("facts.yaml", text);
  typed_and_evaluated("facts.csv", text);
  return 0;
}
