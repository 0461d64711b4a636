// Determinism and concurrency: the same rules, facts and scenario give byte-identical JSON and
// receipts whatever the run, the thread count or the batch sizes, and many threads may evaluate
// one compiled rule set at once (this test is also the ThreadSanitizer run of
// scripts/sanitizers.sh). The population is invented for the Testville rules (tests/data/engine).
#include <doctest/doctest.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>
#include <thread>
#include <vector>

#include "subsidy/subsidy.hpp"

using subsidy::Enterprise;
using subsidy::RuleSet;
using subsidy::Scenario;

namespace {

constexpr int kPopulation = 1200;

/// A reproducible stream of numbers (splitmix64): the population is the same on every run.
class Numbers {
 public:
  std::uint64_t next() {
    std::uint64_t z = (state_ += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
  }
  int below(int n) { return static_cast<int>(next() % static_cast<std::uint64_t>(n)); }

 private:
  std::uint64_t state_ = 20240601;
};

/// Enterprises with every kind of fact, some missing (evaluation errors), amounts to the 分 and
/// in 万, decided amounts for the band rule.
std::string population_yaml(int n) {
  Numbers r;
  std::string out = "enterprises:\n";
  for (int i = 0; i < n; ++i) {
    out += "  - id: D" + std::to_string(i) + "\n";
    out += "    year: " + std::to_string(2019 + r.below(5)) + "\n";
    out += std::string("    sector: ") + (r.below(5) == 0 ? "服务" : "制造") + "\n";
    out += "    revenue: " + std::to_string(r.below(3'000'000)) + "." +
           std::to_string(10 + r.below(90)) + (r.below(2) ? "万\n" : "\n");
    if (r.below(10) != 0) {
      out += "    tax_paid: " + std::to_string(r.below(9'000'000)) + ".0" +
             std::to_string(r.below(10)) + "\n";
      out += "    tax_last_year: " + std::to_string(r.below(9'000'000)) + "\n";
    }
    if (r.below(3) != 0) out += "    investment: " + std::to_string(r.below(200'000)) + "\n";
    if (r.below(2) == 0) out += "    area: " + std::to_string(r.below(120)) + "平方米\n";
    out += std::string("    certified: ") + (r.below(2) ? "是" : "否") + "\n";
    if (r.below(3) == 0) out += "    listing_year: " + std::to_string(2015 + r.below(8)) + "\n";
    const int products = r.below(4);
    if (products > 0) {
      out += "    products:\n";
      for (int p = 0; p < products; ++p) {
        out += std::string("      - {kind: ") + (r.below(2) ? "大" : "小") +
               ", price: " + std::to_string(r.below(2'000'000)) + "." +
               std::to_string(r.below(10)) + "}\n";
      }
    }
    if (r.below(4) == 0) out += "    mergers: [{merged: " + std::to_string(1 + r.below(5)) + "}]\n";
  }
  return out;
}

/// Every evaluation's JSON (with trace) and receipt, one block per enterprise, in input order.
std::string rendered(const std::vector<subsidy::Evaluation>& evaluations) {
  std::string out;
  for (const auto& e : evaluations) out += subsidy::to_json(e, true) + "\n" + e.receipt + "\n";
  return out;
}

struct Fixture {
  RuleSet rules = RuleSet::load({SUBSIDY_SOURCE_DIR "/tests/data/engine"});
  std::vector<Enterprise> firms =
      subsidy::parse_enterprises(rules, "population.yaml", population_yaml(kPopulation));
};

/// The scenarios compared: the default one and a what-if with a date and an option.
std::vector<Scenario> scenarios() {
  Scenario plain;
  plain.trace = true;
  Scenario what_if = plain;
  what_if.on = subsidy::Date::parse("2021-06-30");
  what_if.options["bonus_reading"] = "without_base";
  return {plain, what_if};
}

}  // namespace

TEST_CASE(
    "determinism: byte-identical JSON and receipts across runs, thread counts and batch sizes") {
  const Fixture f;
  REQUIRE(f.firms.size() == static_cast<std::size_t>(kPopulation));
  for (const Scenario& scenario : scenarios()) {
    INFO("scenario: " << scenario.canonical());
    const std::string reference = rendered(subsidy::evaluate_batch(f.rules, f.firms, scenario, 1));
    // A population with complete results and with rules left out for missing facts, so both
    // are compared.
    std::size_t errors = 0;
    for (const auto& e : subsidy::evaluate_batch(f.rules, f.firms, scenario, 1))
      if (!e.complete()) ++errors;
    CHECK(errors > 0);
    CHECK(errors < f.firms.size());

    {  // a second run, and a run on rules and facts loaded afresh
      CHECK(rendered(subsidy::evaluate_batch(f.rules, f.firms, scenario, 1)) == reference);
      const Fixture again;
      CHECK(rendered(subsidy::evaluate_batch(again.rules, again.firms, scenario, 1)) == reference);
      // A rule set rebuilt from its sources (as pickling and distributed workers do).
      const RuleSet rebuilt = RuleSet::load_texts(f.rules.sources());
      CHECK(rendered(subsidy::evaluate_batch(rebuilt, f.firms, scenario, 1)) == reference);
    }
    {  // 1, 2, 3, 4 and 8 threads
      for (unsigned threads : {1u, 2u, 3u, 4u, 8u}) {
        INFO("threads: " << threads);
        CHECK(rendered(subsidy::evaluate_batch(f.rules, f.firms, scenario, threads)) == reference);
      }
    }
    {  // the population split into batches of 1, 7, 100 and 999, results concatenated
      for (std::size_t size :
           {std::size_t{1}, std::size_t{7}, std::size_t{100}, std::size_t{999}}) {
        INFO("batch size: " << size);
        std::string joined;
        for (std::size_t start = 0; start < f.firms.size(); start += size) {
          const std::size_t end = std::min(f.firms.size(), start + size);
          const std::vector<Enterprise> batch(f.firms.begin() + static_cast<std::ptrdiff_t>(start),
                                              f.firms.begin() + static_cast<std::ptrdiff_t>(end));
          joined += rendered(subsidy::evaluate_batch(f.rules, batch, scenario,
                                                     static_cast<unsigned>(size % 3) + 1));
        }
        CHECK(joined == reference);
      }
    }
    {  // one by one
      std::vector<subsidy::Evaluation> each;
      for (const auto& firm : f.firms) each.push_back(subsidy::evaluate(f.rules, firm, scenario));
      CHECK(rendered(each) == reference);
    }
  }
}

TEST_CASE(
    "concurrency: eight threads evaluate one compiled rule set at once, each getting the "
    "reference") {
  const Fixture f;
  const auto all = scenarios();
  std::vector<std::string> reference;
  for (const auto& scenario : all)
    reference.push_back(rendered(subsidy::evaluate_batch(f.rules, f.firms, scenario, 1)));
  constexpr int kThreads = 8;
  std::vector<std::string> results(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    // Half the threads use one scenario, half the other; each also renders JSON concurrently.
    threads.emplace_back([&, t] {
      std::vector<subsidy::Evaluation> out;
      for (const auto& firm : f.firms)
        out.push_back(subsidy::evaluate(f.rules, firm, all[static_cast<std::size_t>(t % 2)]));
      results[static_cast<std::size_t>(t)] = rendered(out);
    });
  }
  for (auto& thread : threads) thread.join();
  for (int t = 0; t < kThreads; ++t) {
    INFO("thread " << t);
    CHECK(results[static_cast<std::size_t>(t)] == reference[static_cast<std::size_t>(t % 2)]);
  }
}
