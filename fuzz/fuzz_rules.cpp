// libFuzzer target: the rule loader (YAML reading, schema, expressions, units, tiers, cycles) on
// arbitrary bytes. A line "#---" splits the input into several rule files (a catalogue and policy
// sets), so seeds can be whole rule folders. Any input may be rejected with subsidy::Error.
#include <cstddef>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "subsidy/subsidy.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  std::vector<std::pair<std::string, std::string>> files;
  std::size_t start = 0;
  while (true) {
    const std::size_t cut = text.find("\n#---", start);
    const std::string part =
        text.substr(start, cut == std::string::npos ? std::string::npos : cut - start);
    files.emplace_back("f" + std::to_string(files.size()) + ".yaml", part);
    if (cut == std::string::npos) break;
    start = cut + 5;
  }
  try {
    const subsidy::RuleSet rules = subsidy::RuleSet::load_texts(files);
    (void)rules.summary().to_string();
    (void)rules.fingerprint();
  } catch (const subsidy::Error&) {
  }
  return 0;
}
