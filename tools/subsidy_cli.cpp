// subsidy-cpp: the C++ command line over the library (check, evaluate, explain, audit).
// The Python package installs the full `subsidy` command; this one needs nothing but the library.
#include <algorithm>
#include <cstring>
#include <iostream>
#include <map>
#include <string>
#include <vector>

#include "subsidy/subsidy.hpp"

namespace {

using namespace subsidy;

const char* kUsage = R"(usage:
  subsidy-cpp check RULES...
  subsidy-cpp evaluate --rules DIR [options] FACTS
  subsidy-cpp explain --rules DIR --enterprise ID [--rule POLICY/RULE] [options] FACTS
  subsidy-cpp audit --rules DIR --grants LEDGER [--format markdown|json] [options] FACTS...

options:
  --format table|json      output format (default: table; audit: markdown|json)
  --alternatives           evaluate every member of each alternative group side by side
                           (the group's default first)
  --choose GROUP=SET       use SET for an alternative group
  --option NAME=CHOICE     switch an interpretation option
  --set PARAM=VALUE        what-if: override a parameter (e.g. --set machining-survey.x=60%)
  --on YYYY-MM-DD          use the parameter versions in force on this date
  --trace                  include explanation steps (json)

examples:
  subsidy-cpp evaluate --rules rules examples/enterprises.yaml --alternatives
  subsidy-cpp audit --rules rules --grants examples/ledger.csv examples/enterprises.yaml

exit status: 0 success; 1 invalid input (rules, facts, options) or an audit finding; 2 usage error
)";

// Display width: CJK and full-width characters take two columns in a terminal.
std::size_t width(const std::string& s) {
  std::size_t w = 0;
  for (std::size_t i = 0; i < s.size();) {
    const auto c = static_cast<unsigned char>(s[i]);
    std::size_t len = c < 0x80 ? 1 : c < 0xE0 ? 2 : c < 0xF0 ? 3 : 4;
    w += len >= 3 ? 2 : 1;
    i += len;
  }
  return w;
}

std::string pad(const std::string& s, std::size_t n) {
  const std::size_t w = width(s);
  return w >= n ? s + " " : s + std::string(n - w, ' ');
}

std::string money(const Decimal& d) { return d.to_money_string(); }

std::string amount_text(const AwardLine& l) {
  switch (l.status) {
    case LineStatus::exact: return money(l.amount);
    case LineStatus::decided: return money(l.amount) + " (decided)";
    case LineStatus::band: return money(l.band.min) + " – " + money(l.band.max) + " (band)";
    case LineStatus::unfixed: return "unfixed: " + l.unfixed_text;
    case LineStatus::recognised: return l.unfixed_text;
  }
  return "";
}

std::string total_text(const Total& t) {
  std::string s;
  auto band = [](const Band& b) {
    return b.min == b.max ? money(b.min) : money(b.min) + " – " + money(b.max);
  };
  if (!t.cash.max.is_zero()) s += "cash " + band(t.cash);
  if (!t.in_kind.max.is_zero()) s += (s.empty() ? "" : ", ") + std::string("in kind ") + band(t.in_kind);
  if (t.unfixed) s += (s.empty() ? "" : ", ") + std::to_string(t.unfixed) + " unfixed";
  if (t.recognised) s += (s.empty() ? "" : ", ") + std::to_string(t.recognised) + " honours/preferences";
  return s.empty() ? "nothing" : s;
}

struct Args {
  std::string command;
  std::vector<std::string> positional;
  std::string rules, format = "table", enterprise, rule, grants;
  bool alternatives = false;
  Scenario scenario;
  std::vector<std::pair<std::string, std::string>> settings;  ///< --set NAME=VALUE, as written
};

// Overrides are read by the unit rules of the rule files: `--set rate=50万元` is refused.
Scenario with_settings(const RuleSet& rules, const Args& a) {
  Scenario s = a.scenario;
  for (const auto& [name, text] : a.settings)
    s.parameters[name] = parameter_value(rules, name, text);
  return s;
}

std::pair<std::string, std::string> split(const std::string& kv, const char* flag) {
  const auto eq = kv.find('=');
  if (eq == std::string::npos || eq == 0) {
    throw Error::expected(ErrorKind::usage, std::string(flag) + " NAME=VALUE", "'" + kv + "'");
  }
  return {kv.substr(0, eq), kv.substr(eq + 1)};
}

Args parse_args(int argc, char** argv) {
  Args a;
  if (argc < 2) throw Error(ErrorKind::usage, "missing command");
  a.command = argv[1];
  for (int i = 2; i < argc; ++i) {
    const std::string arg = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) throw Error(ErrorKind::usage, arg + " needs a value");
      return argv[++i];
    };
    if (arg == "--rules") a.rules = value();
    else if (arg == "--format") a.format = value();
    else if (arg == "--enterprise") a.enterprise = value();
    else if (arg == "--rule") a.rule = value();
    else if (arg == "--grants") a.grants = value();
    else if (arg == "--alternatives") a.alternatives = true;
    else if (arg == "--trace") a.scenario.trace = true;
    else if (arg == "--on") a.scenario.on = Date::parse(value());
    else if (arg == "--option") a.scenario.options.insert(split(value(), "--option"));
    else if (arg == "--choose") a.scenario.choose.insert(split(value(), "--choose"));
    else if (arg == "--set") {
      a.settings.push_back(split(value(), "--set"));  // read once the rules say each one's unit
    } else if (arg == "--help" || arg == "-h") {
      a.command = "help";
    } else if (!arg.empty() && arg[0] == '-') {
      throw Error(ErrorKind::usage, "unknown option " + arg);
    } else {
      a.positional.push_back(arg);
    }
  }
  if (a.format != "table" && a.format != "json" && !(a.command == "audit" && a.format == "markdown")) {
    throw Error::expected(ErrorKind::usage, "--format table or json (audit: markdown or json)", a.format);
  }
  return a;
}

// The scenarios to run: the one given, or one per member of each alternative group.
std::vector<std::pair<std::string, Scenario>> scenarios(const RuleSet& rules, const Args& a) {
  std::vector<std::pair<std::string, Scenario>> out;
  if (!a.alternatives || rules.groups().empty()) {
    out.emplace_back("", with_settings(rules, a));
    return out;
  }
  for (const auto& g : rules.groups()) {
    std::vector<std::string> members = {g.default_member};
    for (const auto& m : g.members) {
      if (m != g.default_member) members.push_back(m);
    }
    for (const auto& m : members) {
      Scenario s = with_settings(rules, a);
      s.choose[g.id] = m;
      out.emplace_back(m, s);
    }
  }
  return out;
}

const PolicySetInfo* find_set(const RuleSet& rules, const std::string& id) {
  for (const auto& s : rules.policy_sets()) {
    if (s.id == id) return &s;
  }
  return nullptr;
}

void print_table(const RuleSet& rules, const std::vector<Enterprise>& batch,
                 const std::vector<std::pair<std::string, std::vector<Evaluation>>>& results) {
  for (std::size_t i = 0; i < batch.size(); ++i) {
    const Enterprise& e = batch[i];
    std::cout << "══ " << e.id << "  " << e.name << (e.year ? "  (" + std::to_string(*e.year) + ")" : "")
              << " ══\n";
    for (const auto& [label, evals] : results) {
      const Evaluation& ev = evals[i];
      if (!label.empty()) {
        const PolicySetInfo* s = find_set(rules, label);
        std::cout << "── under " << label << (s ? "  " + s->title.zh + " [" + to_string(s->status) + "]" : "")
                  << "\n";
      }
      if (!ev.ok()) {
        std::cout << "  error: " << ev.error->what() << "\n";
        continue;
      }
      if (ev.lines.empty()) std::cout << "  no award applies\n";
      for (const auto& l : ev.lines) {
        std::cout << "  " << pad(l.qualified_rule(), 52) << pad(l.info->citation.clause, 14)
                  << pad(l.info->payer.empty() ? "-" : l.info->payer, 10) << amount_text(l);
        if (!l.tier.empty()) std::cout << "  [" << l.tier << "]";
        if (l.items > 1) std::cout << "  ×" << l.items;
        if (l.info->form == AwardForm::in_kind) std::cout << "  in kind: " << l.info->in_kind.zh;
        if (l.info->payer_inferred) std::cout << "  payer inferred (the text names none)";
        if (l.withheld) std::cout << "  WITHHELD: " << l.note;
        std::cout << "\n";
      }
      for (const auto& f : ev.findings) {
        if (!f.passed) std::cout << "  finding: " << f.check << ": " << f.message << " (" << f.detail << ")\n";
      }
      for (const auto& [payer, t] : ev.totals.by_payer) {
        std::cout << "    total " << pad(payer, 10) << total_text(t) << "\n";
      }
    }
    std::cout << "\n";
  }
  // A summary across the population: totals by payer under each scenario.
  std::cout << "══ totals over " << batch.size() << " enterprises ══\n";
  for (const auto& [label, evals] : results) {
    std::map<std::string, Total> by_payer;
    std::size_t errors = 0;
    for (const auto& ev : evals) {
      if (!ev.ok()) ++errors;
      for (const auto& [payer, t] : ev.totals.by_payer) by_payer[payer] += t;
    }
    std::cout << "── " << (label.empty() ? "scenario" : "under " + label)
              << (errors ? "  (" + std::to_string(errors) + " enterprises with errors)" : "") << "\n";
    for (const auto& [payer, t] : by_payer) std::cout << "    " << pad(payer, 10) << total_text(t) << "\n";
  }
}

int run(const Args& a) {
  if (a.command == "help") {
    std::cout << kUsage;
    return 0;
  }
  if (a.command == "check") {
    if (a.positional.empty()) throw Error(ErrorKind::usage, "check needs rule files or folders");
    const RuleSet rules = RuleSet::load(a.positional);
    std::cout << "ok: " << rules.summary().to_string() << "\n";
    return 0;
  }
  if (a.command == "audit") {
    if (a.rules.empty() || a.grants.empty() || a.positional.empty()) {
      throw Error(ErrorKind::usage, "audit needs --rules DIR, --grants LEDGER and facts files");
    }
    const RuleSet rules = RuleSet::load({a.rules});
    std::vector<Enterprise> firms;
    for (const auto& path : a.positional) {
      for (auto& e : load_enterprises(rules, path)) firms.push_back(std::move(e));
    }
    check_population(firms);
    const AuditReport report = audit(rules, firms, load_ledger(a.grants), with_settings(rules, a));
    std::cout << (a.format == "json" ? to_json(report) + "\n" : to_markdown(report));
    return report.failing() == 0 ? 0 : 1;
  }
  if (a.command != "evaluate" && a.command != "explain") {
    throw Error(ErrorKind::usage, "unknown command '" + a.command + "'");
  }
  if (a.rules.empty() || a.positional.size() != 1) {
    throw Error(ErrorKind::usage, a.command + " needs --rules DIR and one facts file");
  }
  const RuleSet rules = RuleSet::load({a.rules});
  std::vector<Enterprise> batch = load_enterprises(rules, a.positional.front());
  if (a.command == "explain") {
    if (a.enterprise.empty()) throw Error(ErrorKind::usage, "explain needs --enterprise ID");
    std::vector<Enterprise> one;
    for (auto& e : batch) {
      if (e.id == a.enterprise) one.push_back(e);
    }
    if (one.empty()) throw Error(ErrorKind::usage, "no enterprise '" + a.enterprise + "' in the facts");
    if (!a.rule.empty() &&
        std::none_of(rules.rules().begin(), rules.rules().end(), [&](const RuleInfo& r) {
          return r.qualified_id == a.rule || r.id == a.rule;
        })) {
      throw Error(ErrorKind::name,
                  "no rule '" + a.rule + "' in the rule set (write policy-set/rule-id)");
    }
    Scenario s = with_settings(rules, a);
    s.trace = true;
    const Evaluation ev = evaluate(rules, one.front(), s);
    if (!ev.ok()) {
      std::cout << "error: " << ev.error->what() << "\n";
      return 1;
    }
    std::cout << ev.enterprise << " " << ev.name << "  receipt " << ev.receipt << "\n";
    for (const auto& l : ev.lines) {
      if (!a.rule.empty() && l.qualified_rule() != a.rule && l.rule != a.rule) continue;
      std::cout << "\n" << l.qualified_rule() << "  " << l.info->citation.clause << "  " << amount_text(l) << "\n";
      std::cout << "  「" << l.info->citation.text << "」\n";
      for (const auto& step : l.trace) std::cout << "  " << pad(step.kind, 11) << step.detail << "\n";
    }
    return 0;
  }
  std::vector<std::pair<std::string, std::vector<Evaluation>>> results;
  for (const auto& [label, s] : scenarios(rules, a)) {
    results.emplace_back(label, evaluate_batch(rules, batch, s, 1));
  }
  bool errors = false;
  if (a.format == "json") {
    std::cout << "[";
    bool first = true;
    for (const auto& [label, evals] : results) {
      for (const auto& ev : evals) {
        std::cout << (first ? "" : ",\n") << R"({"scenario":")" << label << R"(","evaluation":)"
                  << to_json(ev, a.scenario.trace) << "}";
        first = false;
        errors = errors || !ev.ok();
      }
    }
    std::cout << "]\n";
  } else {
    print_table(rules, batch, results);
    for (const auto& r : results) {
      for (const auto& ev : r.second) errors = errors || !ev.ok();
    }
  }
  return errors ? 1 : 0;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    return run(parse_args(argc, argv));
  } catch (const Error& e) {
    std::cerr << e.what() << "\n";
    if (e.kind() == ErrorKind::usage) {
      std::cerr << kUsage;
      return 2;
    }
    return 1;
  }
}
