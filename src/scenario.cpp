// Scenarios: the names a what-if sets, checked against the rule set, and its canonical text (part
// of every receipt); parameter overrides checked by the unit rules of a rule file's value.
#include <algorithm>
#include <string>

#include "compiled.hpp"
#include "subsidy/evaluate.hpp"

namespace subsidy {

namespace {

const ParameterInfo& known_parameter(const RuleSet& rules, const std::string& name) {
  const ParameterInfo* p = rules.find_parameter(name);
  if (!p) {
    throw Error::expected(ErrorKind::parameter,
                          "a parameter name (policy-set.name, or a bare name used once)",
                          "'" + name + "'");
  }
  return *p;
}

}  // namespace

Decimal parameter_value(const RuleSet& rules, const std::string& name, std::string_view text) {
  const ParameterInfo& p = known_parameter(rules, name);
  const Amount amount = Decimal::parse_amount(text);
  detail::check_parameter_value(p, amount, std::string(text), Mark{});
  return amount.value;
}

Decimal parameter_value(const RuleSet& rules, const std::string& name, const Decimal& value) {
  const ParameterInfo& p = known_parameter(rules, name);
  detail::check_parameter_value(p, Amount{value, AmountUnit::number}, value.to_string(), Mark{});
  return value;
}

void Scenario::validate(const RuleSet& rules) const {
  const auto& r = detail::compiled(rules);
  for (const auto& [name, choice] : options) {
    auto it = r.option_index.find(name);
    if (it == r.option_index.end()) {
      std::string known;
      for (const auto& o : r.options) known += (known.empty() ? "" : ", ") + o.name;
      throw Error::expected(ErrorKind::option, "an interpretation option (" + known + ")",
                            "'" + name + "'");
    }
    const OptionInfo& o = r.options[it->second];
    const bool ok = std::any_of(o.choices.begin(), o.choices.end(),
                                [&choice = choice](const auto& c) { return c.first == choice; });
    if (!ok) {
      std::string known;
      for (const auto& c : o.choices) known += (known.empty() ? "" : ", ") + c.first;
      throw Error::expected(ErrorKind::option, "a choice of option '" + name + "' (" + known + ")",
                            "'" + choice + "'");
    }
  }
  for (const auto& [group, set] : choose) {
    auto it = r.group_index.find(group);
    if (it == r.group_index.end()) {
      throw Error::expected(ErrorKind::name, "an alternative group", "'" + group + "'");
    }
    const auto& members = r.groups[it->second].members;
    if (std::find(members.begin(), members.end(), set) == members.end()) {
      std::string known;
      for (const auto& m : members) known += (known.empty() ? "" : ", ") + m;
      throw Error::expected(ErrorKind::name, "a member of group '" + group + "' (" + known + ")",
                            "'" + set + "'");
    }
  }
  for (const auto& [name, value] : parameters) {
    (void)known_parameter(rules, name);
    if (value.is_negative()) {
      throw Error::expected(ErrorKind::parameter, "a value of at least 0 for '" + name + "'",
                            value.to_string());
    }
  }
}

std::string Scenario::canonical() const {
  std::string out = "on=" + (on ? on->to_string() : std::string("latest")) + "\n";
  for (const auto& [k, v] : options) out += "option." + k + "=" + v + "\n";
  for (const auto& [k, v] : choose) out += "choose." + k + "=" + v + "\n";
  for (const auto& [k, v] : parameters) out += "set." + k + "=" + v.to_string() + "\n";
  return out;
}

}  // namespace subsidy
