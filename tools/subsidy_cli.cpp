// subsidy-cpp: the C++ command line over the library. It speaks as the Python `subsidy` command
// does for the commands they share (check, evaluate, explain, audit): the same flags, the same
// text and the same exit status (tests/python/test_one_command_line.py compares them); the
// Python command adds compare, spreadsheets and the other report formats.
#include <algorithm>
#include <exception>
#include <iostream>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "subsidy/subsidy.hpp"

namespace {

using namespace subsidy;

const char* kUsage = R"(usage: subsidy-cpp COMMAND [options]

commands (as in the Python `subsidy` command, which adds compare and spreadsheet reports):
  check RULES...                          load and check rule files; print what was loaded
  evaluate --rules PATH [options] FILES   award lines with citations, totals as bands
  explain --rules PATH --enterprise ID [--rule RULE] [--year YEAR] [options] FILES
  audit --rules PATH --facts FILE --grants LEDGER [--format markdown|json] [options]

options:
  --rules PATH             rule file or folder (repeatable)
  --format table|json      output format (audit: markdown|json)
  --explain                evaluate: each line's cited sentence and trace (json: the trace)
  --alternatives           evaluate every member of each alternative group side by side
                           (the group's default first)
  --choose GROUP=SET       use SET for an alternative group
  --option NAME=CHOICE     switch an interpretation option
  --set PARAM=VALUE        what-if: override a parameter (e.g. --set machining-survey.x=60%)
  --on YYYY-MM-DD          use the parameter versions in force on this date
  --version                print the version
  -h, --help               this help (also after a command)

examples:
  subsidy-cpp evaluate --rules rules examples/enterprises.yaml --alternatives
  subsidy-cpp audit --rules rules --facts examples/enterprises.yaml --grants examples/ledger.csv

exit status: 0 success; 1 bad input, a failed evaluation or check, or an audit finding; 2 a usage error
)";

// ---- text that is safe to show: control characters as escapes, as the Python command writes them

std::string printable(const std::string& s) {
  static const char* hex = "0123456789abcdef";
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    const auto c = static_cast<unsigned char>(s[i]);
    const unsigned next = i + 1 < s.size() ? static_cast<unsigned char>(s[i + 1]) : 0u;
    const unsigned third = i + 2 < s.size() ? static_cast<unsigned char>(s[i + 2]) : 0u;
    if (c == '\t' || c == '\n' || c == '\r') {
      out += c == '\t' ? "\\t" : c == '\n' ? "\\n" : "\\r";
    } else if (c < 0x20 || c == 0x7f) {
      out += std::string("\\x") + hex[c >> 4] + hex[c & 15];
    } else if (c == 0xC2 && next >= 0x80 && next <= 0x9F) {  // C1 controls
      out += std::string("\\x") + hex[next >> 4] + hex[next & 15];
      ++i;
    } else if (c == 0xE2 && ((next == 0x80 && third >= 0xA8 && third <= 0xAE) ||
                             (next == 0x81 && third >= 0xA6 && third <= 0xA9))) {
      // line and paragraph separators, bidirectional embeddings, overrides and isolates
      const unsigned code = 0x2000u + ((next & 0x3Fu) << 6) + (third & 0x3Fu);
      out += std::string("\\u") + hex[code >> 12] + hex[(code >> 8) & 15] + hex[(code >> 4) & 15] +
             hex[code & 15];
      i += 2;
    } else {
      out += static_cast<char>(c);
    }
  }
  return out;
}

// Display width: East Asian wide and full-width characters take two columns.
std::size_t width(const std::string& s) {
  std::size_t w = 0;
  for (std::size_t i = 0; i < s.size();) {
    const auto c = static_cast<unsigned char>(s[i]);
    const std::size_t len = c < 0x80 ? 1 : c < 0xE0 ? 2 : c < 0xF0 ? 3 : 4;
    char32_t code = len == 1 ? c : c & (0x7F >> len);
    for (std::size_t k = 1; k < len && i + k < s.size(); ++k)
      code = (code << 6) | (s[i + k] & 0x3F);
    const bool wide = (code >= 0x1100 && code <= 0x115F) || (code >= 0x2E80 && code <= 0xA4CF) ||
                      (code >= 0xAC00 && code <= 0xD7A3) || (code >= 0xF900 && code <= 0xFAFF) ||
                      (code >= 0xFE30 && code <= 0xFE4F) || (code >= 0xFF00 && code <= 0xFF60) ||
                      (code >= 0xFFE0 && code <= 0xFFE6) || (code >= 0x20000 && code <= 0x3FFFD);
    w += wide ? 2 : 1;
    i += len;
  }
  return w;
}

void table(const std::vector<std::string>& header, std::vector<std::vector<std::string>> rows) {
  for (auto& row : rows) {
    for (auto& cell : row) cell = printable(cell);
  }
  std::vector<std::size_t> widths(header.size());
  for (std::size_t i = 0; i < header.size(); ++i) {
    widths[i] = width(header[i]);
    for (const auto& row : rows) widths[i] = std::max(widths[i], width(row[i]));
  }
  auto line = [&](const std::vector<std::string>& cells) {
    std::string out;
    for (std::size_t i = 0; i < cells.size(); ++i) {
      out += (i ? "  " : "") + cells[i] + std::string(widths[i] - width(cells[i]), ' ');
    }
    while (!out.empty() && out.back() == ' ') out.pop_back();
    std::cout << out << "\n";
  };
  line(header);
  for (std::size_t i = 0; i < widths.size(); ++i)
    std::cout << (i ? "  " : "") << std::string(widths[i], '-');
  std::cout << "\n";
  for (const auto& row : rows) line(row);
}

// ---- the wording of results (the Python package's str() of the same objects)

std::string money(const Decimal& d) { return d.to_money_string(); }
std::string band_text(const Band& b) {
  return b.min == b.max ? money(b.min) : money(b.min) + " – " + money(b.max);
}
std::string text(const Text& t) {
  if (!t.zh.empty() && !t.en.empty()) return t.zh + " (" + t.en + ")";
  return t.zh.empty() ? t.en : t.zh;
}

std::string total_text(const Total& t) {
  std::string s = "cash " + band_text(t.cash);
  if (!(t.in_kind.min.is_zero() && t.in_kind.max.is_zero()))
    s += ", in kind " + band_text(t.in_kind);
  if (t.unfixed) s += ", " + std::to_string(t.unfixed) + " unfixed";
  if (t.recognised) s += ", " + std::to_string(t.recognised) + " recognised";
  if (!t.complete())
    s += ", incomplete: " + std::to_string(t.unevaluated) + " not evaluated (missing facts)";
  return s;
}

// A rule a missing fact kept from being evaluated: its amount is unknown, never 0.
std::string unevaluated_text(const Unevaluated& u) {
  std::string s = u.qualified_id() + " not evaluated: needs ";
  for (std::size_t i = 0; i < u.missing.size(); ++i) s += (i ? ", " : "") + u.missing[i];
  return printable(s);
}

std::string value_text(const AwardLine& l) {
  std::string s;
  if (l.status == LineStatus::exact || l.status == LineStatus::decided) {
    s = money(l.amount);
    if (l.status == LineStatus::decided) s += " (decided in " + band_text(l.band) + ")";
  } else if (l.status == LineStatus::band) {
    s = band_text(l.band);
  } else if (l.status == LineStatus::unfixed) {
    s = l.unfixed_text.empty() ? "unfixed" : "unfixed: " + l.unfixed_text;
  } else {
    s = to_string(l.status);
  }
  if (l.info->form == AwardForm::in_kind && !text(l.info->in_kind).empty())
    s += " in kind (" + text(l.info->in_kind) + ")";
  if (l.withheld) s += " [withheld]";
  return s;
}

std::string where(const Citation& c) {
  std::string s = c.document;
  if (!c.clause.empty()) s += (s.empty() ? "" : " ") + c.clause;
  if (!c.lines.empty()) {
    s += c.lines.size() == 1
             ? ", line " + std::to_string(c.lines.front())
             : ", lines " + std::to_string(c.lines.front()) + "–" + std::to_string(c.lines.back());
  }
  return s;
}

std::string heading(const Evaluation& e) {
  std::string s = e.enterprise + (e.name.empty() ? "" : " " + e.name);
  if (e.year) s += " (" + std::to_string(*e.year) + ")";
  return printable(s);
}

std::vector<std::string> failed_checks(const Evaluation& e) {
  std::vector<std::string> out;
  for (const auto& f : e.findings) {
    if (!f.passed) {
      out.push_back(printable("failed check: " + f.policy_set + "/" + f.check + ": " + f.message +
                              (f.detail.empty() ? "" : " (" + f.detail + ")")));
    }
  }
  return out;
}

void print_steps(const std::vector<TraceStep>& steps) {
  for (const auto& step : steps) {
    if (step.kind != "rule")
      std::cout << "    " << step.kind << ": " << printable(step.detail) << "\n";
  }
}

void print_line(const AwardLine& l) {
  const RuleInfo& info = *l.info;
  std::cout << "\n• " << l.qualified_rule() << " — " << text(info.title) << "\n";
  std::cout << "  " << value_text(l) << (info.payer.empty() ? "" : "; payer " + info.payer)
            << (info.payer_inferred ? " (inferred: the text names no payer)" : "") << "; "
            << to_string(info.form);
  const std::string recurrence = info.recurrence.to_string();
  std::cout << (recurrence.empty() ? "" : "; " + recurrence) << "\n";
  if (!l.tier.empty()) std::cout << "  tier: " << l.tier << "\n";
  if (l.items) std::cout << "  items: " << l.items << "\n";
  if (!l.note.empty()) std::cout << "  note: " << l.note << "\n";
  std::cout << "  cited: " << where(info.citation) << "\n    「" << info.citation.text << "」\n";
  print_steps(l.trace);
}

const char* why(const std::string& reason) {
  if (reason == "recurrence") return "it is not due in this year";
  if (reason == "no_tier") return "no tier reached (the conditions are met)";
  if (reason == "no_item") return "no item qualifies (the conditions are met)";
  return "its conditions are not met";
}

// The explanation of one evaluation: Evaluation.explain_text() of the Python package.
void explain(const Evaluation& e, const std::string& rule) {
  std::cout << "Evaluation of " << printable(e.enterprise + (e.name.empty() ? "" : " " + e.name))
            << (e.year ? ", " + std::to_string(*e.year) : "") << "\n";
  if (!e.policy_sets.empty()) {
    std::cout << "policy sets: ";
    for (std::size_t i = 0; i < e.policy_sets.size(); ++i)
      std::cout << (i ? ", " : "") << e.policy_sets[i];
    std::cout << "\n";
  }
  if (e.error) std::cout << "error: " << printable(e.error->what()) << "\n";
  if (!rule.empty()) {
    auto matches = [&](const std::string& qualified) {
      return qualified == rule || qualified.substr(qualified.find('/') + 1) == rule;
    };
    bool found = false;
    for (const auto& l : e.lines) {
      if (matches(l.qualified_rule())) found = true, print_line(l);
    }
    for (const auto& p : e.passed_over) {
      if (!matches(p.qualified_rule())) continue;
      found = true;
      std::cout << "\n• " << p.qualified_rule() << ": no award line: " << why(p.reason) << "\n";
      std::cout << "  cited: " << where(p.info->citation) << "\n    「" << p.info->citation.text
                << "」\n";
      print_steps(p.trace);
    }
    for (const auto& u : e.unevaluated) {
      if (!matches(u.qualified_id())) continue;
      found = true;
      std::cout << "\n• " << unevaluated_text(u) << "\n  " << printable(u.message) << "\n";
    }
    if (!found) {
      std::cout << "\n"
                << printable(rule)
                << ": not evaluated (no such rule in the policy sets evaluated: ";
      for (std::size_t i = 0; i < e.policy_sets.size(); ++i)
        std::cout << (i ? ", " : "") << e.policy_sets[i];
      std::cout << ")\n";
    }
    return;
  }
  for (const auto& l : e.lines) print_line(l);
  if (e.lines.empty() && !e.error && e.unevaluated.empty())
    std::cout << "\nno award line: no rule's condition held\n";
  for (const auto& u : e.unevaluated)
    std::cout << "\n• " << unevaluated_text(u)
              << " (not in the record: its amount is unknown, not 0)\n";
  for (const auto& f : e.findings) {
    std::cout << "\ncheck " << f.policy_set << "/" << f.check << ": "
              << (f.passed ? "passed" : "FAILED");
    if (!f.message.empty()) std::cout << " — " << f.message;
    std::cout << "\n";
    if (!f.detail.empty()) std::cout << "  " << printable(f.detail) << "\n";
    if (f.citation)
      std::cout << "  cited: " << where(*f.citation) << ": 「" << f.citation->text << "」\n";
  }
  std::cout << "\ntotal: " << total_text(e.totals.all) << "\n";
  for (const auto& [payer, t] : e.totals.by_payer)
    std::cout << "  " << payer << ": " << total_text(t) << "\n";
  std::cout << "receipt: sha256:" << e.receipt << "\n";
}

// ---- arguments

struct Args {
  std::string command;
  std::vector<std::string> positional, rules, facts;
  std::string format, enterprise, rule, grants;
  std::optional<std::int64_t> year;
  bool alternatives = false, explain = false, help = false, version = false;
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

std::int64_t year(const std::string& text) {
  std::size_t used = 0;
  try {
    const long long y = std::stoll(text, &used);
    if (used == text.size()) return y;
  } catch (const std::exception&) {
  }
  throw Error::expected(ErrorKind::usage, "--year YEAR (a whole number)", "'" + text + "'");
}

Args parse_args(int argc, char** argv) {
  Args a;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) throw Error(ErrorKind::usage, arg + " needs a value");
      return argv[++i];
    };
    if (arg == "--help" || arg == "-h")
      a.help = true;
    else if (arg == "--version")
      a.version = true;
    else if (arg == "--rules")
      a.rules.push_back(value());
    else if (arg == "--facts")
      a.facts.push_back(value());
    else if (arg == "--format")
      a.format = value();
    else if (arg == "--enterprise")
      a.enterprise = value();
    else if (arg == "--rule")
      a.rule = value();
    else if (arg == "--year")
      a.year = year(value());
    else if (arg == "--grants")
      a.grants = value();
    else if (arg == "--alternatives")
      a.alternatives = true;
    else if (arg == "--explain")
      a.explain = true;
    else if (arg == "--on")
      a.scenario.on = Date::parse(value());
    else if (arg == "--option")
      a.scenario.options.insert(split(value(), "--option"));
    else if (arg == "--choose")
      a.scenario.choose.insert(split(value(), "--choose"));
    else if (arg == "--set") {
      a.settings.push_back(split(value(), "--set"));  // read once the rules say each one's unit
    } else if (!arg.empty() && arg[0] == '-') {
      throw Error(ErrorKind::usage, "unknown option " + arg);
    } else if (a.command.empty()) {
      a.command = arg;
    } else {
      a.positional.push_back(arg);
    }
  }
  if (a.help || a.version) return a;
  const bool audit = a.command == "audit", explain = a.command == "explain";
  if (a.format.empty()) a.format = audit ? "markdown" : explain ? "text" : "table";
  const bool known = audit     ? (a.format == "markdown" || a.format == "json")
                     : explain ? (a.format == "text" || a.format == "json")
                               : (a.format == "table" || a.format == "json");
  if (!known)
    throw Error::expected(ErrorKind::usage, "--format table or json (audit: markdown or json)",
                          a.format);
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

std::vector<Enterprise> load_all(const RuleSet& rules, const std::vector<std::string>& paths) {
  std::vector<Enterprise> firms;
  for (const auto& path : paths) {
    for (auto& e : load_enterprises(rules, path)) firms.push_back(std::move(e));
  }
  check_population(firms);  // the files together, as one file
  return firms;
}

// The table format of `evaluate`: each enterprise's lines, failed checks and totals, then the
// totals by payer over the population.
bool print_table(const std::vector<Evaluation>& evals, bool explained) {
  bool failed = false;
  std::map<std::string, Total> population;
  for (const Evaluation& e : evals) {
    for (const auto& [payer, t] : e.totals.by_payer) population[payer] += t;
    failed = failed || !e.ok() || !e.complete() || !failed_checks(e).empty();
    if (explained) {
      explain(e, "");
      std::cout << "\n";
      continue;
    }
    std::cout << "── " << heading(e) << "\n";  // marked: an id such as "total: ..." starts no line
    if (!e.ok()) {
      std::cout << "  error: " << printable(e.error->what()) << "\n\n";
      continue;
    }
    std::vector<std::vector<std::string>> rows;
    for (const auto& l : e.lines) {
      rows.push_back({l.qualified_rule(),
                      l.info->title.zh.empty() ? l.info->title.en : l.info->title.zh, l.info->payer,
                      value_text(l), l.info->citation.clause});
    }
    if (!rows.empty())
      table({"rule", "title", "payer", "amount", "clause"}, rows);
    else if (e.unevaluated.empty())
      std::cout << "  no award line\n";
    for (const auto& u : e.unevaluated) std::cout << "  " << unevaluated_text(u) << "\n";
    for (const auto& f : failed_checks(e)) std::cout << "  " << f << "\n";
    std::cout << "total: " << total_text(e.totals.all) << "\n";
    for (const auto& [payer, t] : e.totals.by_payer)
      std::cout << "  " << printable(payer) << ": " << total_text(t) << "\n";
    std::cout << "\n";
  }
  std::cout << "totals by payer (" << evals.size() << " enterprises)\n";
  for (const auto& [payer, t] : population)
    std::cout << "  " << printable(payer) << ": " << total_text(t) << "\n";
  return failed;
}

int run(const Args& a) {
  if (a.version) {
    std::cout << "subsidy-cpp (engine " << engine_version() << ")\n";
    return 0;
  }
  if (a.help || a.command.empty()) {
    (a.help ? std::cout : std::cerr) << kUsage;
    return a.help ? 0 : 2;
  }
  if (a.command == "check") {
    if (a.positional.empty()) throw Error(ErrorKind::usage, "check needs rule files or folders");
    const RuleSet rules = RuleSet::load(a.positional);
    if (a.format == "json") {
      std::cout << "{\"fingerprint\": \"" << rules.fingerprint() << "\"}\n";
      return 0;
    }
    std::vector<std::vector<std::string>> rows;
    for (const auto& p : rules.policy_sets()) {
      rows.push_back({p.id, to_string(p.status), p.in_force.to_string(),
                      std::to_string(p.rule_count), p.title.zh});
    }
    table({"policy set", "status", "in force", "rules", "title"}, rows);
    for (const auto& warning : rules.period_warnings()) std::cout << "warning: " << warning << "\n";
    std::cout << "\nok: " << rules.summary().to_string() << "\nfingerprint: " << rules.fingerprint()
              << "\n";
    return 0;
  }
  if (a.command != "evaluate" && a.command != "explain" && a.command != "audit") {
    throw Error(ErrorKind::usage,
                "unknown command '" + a.command + "' (check, evaluate, explain, audit)");
  }
  if (a.rules.empty()) throw Error(ErrorKind::usage, a.command + " needs --rules PATH");
  const RuleSet rules = RuleSet::load(a.rules);
  if (a.command == "audit") {
    if (a.grants.empty() || a.facts.empty())
      throw Error(ErrorKind::usage, "audit needs --facts FILE and --grants LEDGER");
    const AuditReport report =
        audit(rules, load_all(rules, a.facts), load_ledger(a.grants), with_settings(rules, a));
    std::cout << (a.format == "json" ? to_json(report) + "\n" : to_markdown(report));
    return report.failing() == 0 ? 0 : 1;
  }
  if (a.positional.empty())
    throw Error(ErrorKind::usage, a.command + " needs enterprise record files");
  const std::vector<Enterprise> batch = load_all(rules, a.positional);
  if (a.command == "explain") {
    if (a.enterprise.empty()) throw Error(ErrorKind::usage, "explain needs --enterprise ID");
    if (!a.rule.empty() &&
        std::none_of(rules.rules().begin(), rules.rules().end(), [&](const RuleInfo& r) {
          return r.qualified_id == a.rule || r.id == a.rule;
        })) {
      throw Error(ErrorKind::name,
                  "no rule '" + a.rule + "' in the rule set (write policy-set/rule-id)");
    }
    Scenario s = with_settings(rules, a);
    s.trace = true;
    std::vector<Evaluation> chosen;
    for (const auto& e : batch) {
      if (e.id == a.enterprise && (!a.year || e.year == a.year))
        chosen.push_back(evaluate(rules, e, s));
    }
    if (chosen.empty()) {
      std::cerr << printable("subsidy-cpp: error: no enterprise '" + a.enterprise +
                             "' in the facts")
                << "\n";
      return 1;
    }
    bool failed = false;
    for (std::size_t i = 0; i < chosen.size(); ++i) {
      if (a.format == "json")
        std::cout << (i ? ",\n" : "[\n") << to_json(chosen[i], true);
      else
        std::cout << (i ? "\n" : ""), explain(chosen[i], a.rule);
      failed = failed || !chosen[i].ok() || !chosen[i].complete();
    }
    if (a.format == "json") std::cout << "\n]\n";
    return failed ? 1 : 0;
  }
  bool failed = false;
  const auto runs = scenarios(rules, a);
  std::string json;
  for (const auto& [label, s] : runs) {
    Scenario traced = s;
    traced.trace = a.explain;
    const std::vector<Evaluation> evals = evaluate_batch(rules, batch, traced, 0);
    if (a.format == "json") {
      for (const auto& e : evals) {
        const std::string doc = to_json(e, a.explain);
        json +=
            (json.empty() ? "" : ",\n") +
            (label.empty() ? doc : "{\"scenario\":\"" + label + "\",\"evaluation\":" + doc + "}");
        failed = failed || !e.ok() || !e.complete() || !failed_checks(e).empty();
      }
      continue;
    }
    if (!label.empty()) std::cout << "══ under " << label << " ══\n\n";
    failed = print_table(evals, a.explain) || failed;
  }
  if (a.format == "json") std::cout << "[\n" << json << "\n]\n";
  return failed ? 1 : 0;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    return run(parse_args(argc, argv));
  } catch (const Error& e) {
    std::cerr << printable(e.what()) << "\n";
    if (e.kind() == ErrorKind::usage) {
      std::cerr << "run 'subsidy-cpp --help' for the commands and options\n";
      return 2;
    }
    return 1;
  }
}
