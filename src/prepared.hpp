// A scenario prepared for evaluation: options, chosen group members and defaults resolved once,
// and per day (each record's period) the parameter versions valid then and what is not in force.
#pragma once

#include <algorithm>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "compiled.hpp"

namespace subsidy::detail {

/// What one day makes of the rule set: the parameter versions valid then, and the policy sets and
/// rules not in force then (with the reason, for explanations).
struct Period {
  std::optional<Date> on;  ///< empty: the latest versions, everything in force
  std::vector<Decimal> params;
  std::vector<std::string> param_notes;
  std::vector<std::string> param_gaps;  ///< by parameter: why it has no value (empty: it has one)
  std::vector<std::string> set_out;     ///< by policy set: why it is not in force (empty: it is)
  std::vector<std::string> rule_out;    ///< by compiled rule
};

/// The scenario resolved against a rule set once, shared by every enterprise of a batch; the
/// periods are resolved the first time a record needs one, and kept.
struct Prepared {
  Prepared(const RuleSet& rs, const Scenario& s)
      : rules(rs),
        r(detail::compiled(rs)),
        scenario(s),
        scenario_text(s.canonical()),
        trace(s.trace) {}

  const RuleSet& rules;
  const CompiledRules& r;
  Scenario scenario;
  std::vector<std::string> options;  // chosen choice per option
  std::vector<bool> set_active;      // policy sets chosen (or outside any group)
  std::vector<std::optional<FactValue>> defaults;
  std::string scenario_text;
  bool trace = false;

  /// The day a record is evaluated on: the scenario's `on`, else the last day of the record's
  /// year (docs/interpretations.md#period-of-a-yearly-record), else none (latest versions).
  std::optional<Date> day_of(const Enterprise& e) const {
    if (scenario.on) return scenario.on;
    if (!e.year) return std::nullopt;
    return Date{static_cast<int>(std::clamp<std::int64_t>(*e.year, 1, 9999)), 12, 31};
  }

  const Period& period(const std::optional<Date>& on) const {
    const std::lock_guard<std::mutex> lock(mutex_);
    auto it = periods_.find(on);
    if (it == periods_.end())
      it = periods_.emplace(on, std::make_unique<Period>(resolve(on))).first;
    return *it->second;
  }

 private:
  Period resolve(const std::optional<Date>& on) const;

  mutable std::mutex mutex_;
  mutable std::map<std::optional<Date>, std::unique_ptr<Period>> periods_;
};

/// Validates the scenario and resolves what does not depend on the day.
std::unique_ptr<Prepared> prepare(const RuleSet& rules, const Scenario& s);

/// The scenario on the one day it names (`on`, or none: the latest versions): the prepared
/// scenario and its period, as the batch compiler folds them in and the structure probes read
/// them. A view: the scenario is resolved once, by prepare().
struct Day {
  std::shared_ptr<const Prepared> prepared;
  const Period* period = nullptr;

  /// Its policy set chosen (or outside any group) and in force on the day.
  bool set_active(std::size_t set) const {
    return prepared->set_active[set] && period->set_out[set].empty();
  }
  bool rule_active(std::size_t rule) const { return period->rule_out[rule].empty(); }
  bool param_known(std::size_t k) const { return period->param_gaps[k].empty(); }
  const Decimal& param(std::size_t k) const { return period->params[k]; }
  const std::string& option(std::size_t k) const { return prepared->options[k]; }
  const std::optional<FactValue>& default_of(std::size_t slot) const {
    return prepared->defaults[slot];
  }
};
Day resolve_day(const RuleSet& rules, const Scenario& scenario);

}  // namespace subsidy::detail
