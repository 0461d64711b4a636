// libFuzzer target: grant ledgers (CSV and YAML/JSON), then audited against the Jiyuan rules and
// the example enterprises, and rendered as JSON and Markdown. Every input is read both ways. Any
// input may be rejected with subsidy::Error; nothing may crash or hang.
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "subsidy/subsidy.hpp"

namespace {

struct Fixture {
  subsidy::RuleSet rules = subsidy::RuleSet::load({SUBSIDY_SOURCE_DIR "/rules"});
  std::vector<subsidy::Enterprise> firms =
      subsidy::load_enterprises(rules, SUBSIDY_SOURCE_DIR "/examples/enterprises.yaml");
};

const Fixture& fixture() {
  static const Fixture loaded;
  return loaded;
}

void audited(const std::string& name, const std::string& text) {
  try {
    const auto ledger = subsidy::parse_ledger(name, text);
    const auto report = subsidy::audit(fixture().rules, fixture().firms, ledger, {});
    (void)subsidy::to_json(report);
    (void)subsidy::to_markdown(report);
  } catch (const subsidy::Error&) {
  }
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  (void)fixture();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  audited("ledger.csv", text);
  audited("ledger.yaml", text);
  return 0;
}
