// Loading and checking rule files: YAML → compiled rule set, every problem located.
#include "subsidy/rules.hpp"

#include <algorithm>
#include <cctype>
#include <filesystem>

#include "loader.hpp"

namespace subsidy {

// ---- small public helpers
// -------------------------------------------------------------------------

Date Date::parse(std::string_view text) {
  auto fail = [&]() -> Date {
    throw Error::expected(ErrorKind::parse, "a date written YYYY-MM-DD",
                          "\"" + std::string(text) + "\"");
  };
  if (text.size() != 10 || text[4] != '-' || text[7] != '-') return fail();
  auto digits = [&](std::size_t from, std::size_t n, int& out) {
    out = 0;
    for (std::size_t i = from; i < from + n; ++i) {
      if (text[i] < '0' || text[i] > '9') return false;
      out = out * 10 + (text[i] - '0');
    }
    return true;
  };
  Date d;
  if (!digits(0, 4, d.year) || !digits(5, 2, d.month) || !digits(8, 2, d.day)) return fail();
  static const int days[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (d.month < 1 || d.month > 12 || d.day < 1 || d.day > days[d.month - 1]) return fail();
  const bool leap = (d.year % 4 == 0 && d.year % 100 != 0) || d.year % 400 == 0;
  if (d.month == 2 && d.day == 29 && !leap) return fail();
  return d;
}

std::string Date::to_string() const {
  char buf[16];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02d", year, month, day);
  return buf;
}

std::string Unit::to_string() const {
  switch (kind) {
    case UnitKind::money:
      return "money (元)";
    case UnitKind::rate:
      return "a rate";
    case UnitKind::count:
      return "a count";
    case UnitKind::number:
      return "a number";
    case UnitKind::measure:
      return "a measure in " + measure;
    case UnitKind::boolean:
      return "a condition (true/false)";
    case UnitKind::enumeration:
      return "an enumeration";
    case UnitKind::date:
      return "a date";
    case UnitKind::year:
      return "a year";
    case UnitKind::text:
      return "text";
    case UnitKind::list:
      return "a list";
  }
  return "a value";
}

const char* to_string(PolicyStatus s) noexcept {
  switch (s) {
    case PolicyStatus::in_force:
      return "in_force";
    case PolicyStatus::draft:
      return "draft";
    case PolicyStatus::proposal:
      return "proposal";
  }
  return "";
}
const char* to_string(AwardForm f) noexcept {
  switch (f) {
    case AwardForm::cash:
      return "cash";
    case AwardForm::in_kind:
      return "in_kind";
    case AwardForm::preference:
      return "preference";
    case AwardForm::honour:
      return "honour";
  }
  return "";
}
const char* to_string(AmountKind k) noexcept {
  switch (k) {
    case AmountKind::fixed:
      return "fixed";
    case AmountKind::band:
      return "band";
    case AmountKind::rate_of_base:
      return "rate";
    case AmountKind::formula:
      return "formula";
    case AmountKind::per_item:
      return "per_item";
    case AmountKind::tiers:
      return "tiers";
    case AmountKind::unfixed:
      return "unfixed";
    case AmountKind::honour:
      return "honour";
  }
  return "";
}
const char* to_string(HitPolicy h) noexcept {
  switch (h) {
    case HitPolicy::unique:
      return "unique";
    case HitPolicy::highest:
      return "highest";
    case HitPolicy::first:
      return "first";
    case HitPolicy::sum:
      return "sum";
  }
  return "";
}

std::string Recurrence::to_string() const {
  switch (kind) {
    case Kind::one_time:
      return "one_time";
    case Kind::yearly:
      return "yearly";
    case Kind::years_from:
      return std::to_string(years) + " years from " + from;
  }
  return "";
}

std::string RuleSetSummary::to_string() const {
  return std::to_string(files) + " files, " + std::to_string(policy_sets) + " policy sets, " +
         std::to_string(rules) + " rules, " + std::to_string(parameters) + " parameters, " +
         std::to_string(options) + " options, " + std::to_string(facts) + " facts, " +
         std::to_string(budget_lines) + " budget lines, " + std::to_string(checks) + " checks";
}

namespace detail {

void check_parameter_value(const ParameterInfo& p, const Amount& amount, const std::string& text,
                           const Mark& mark) {
  const AmountUnit written = amount.unit;
  const bool ok = written == AmountUnit::number ||
                  (written == AmountUnit::yuan && p.unit.kind == UnitKind::money) ||
                  (written == AmountUnit::rate && p.unit.kind == UnitKind::rate);
  if (!ok) {
    throw Error::expected(ErrorKind::unit, p.unit.to_string() + " for parameter '" + p.name + "'",
                          "'" + text + "'", mark);
  }
  // A bare 60 for a rate would be 6000%: a rate above 100% is written with its % sign.
  if (p.unit.kind == UnitKind::rate && written == AmountUnit::number && Decimal(1) < amount.value) {
    throw Error::expected(ErrorKind::unit,
                          "a rate for parameter '" + p.name +
                              "' written with % (60%) or as a "
                              "fraction of 1 (0.6)",
                          "the bare number '" + text + "', which would be " +
                              (amount.value * Decimal(100)).to_string() + "%",
                          mark);
  }
  if (p.unit.kind == UnitKind::count &&
      (amount.value.is_negative() || amount.value.reduce().exponent() < 0)) {
    throw Error::expected(ErrorKind::unit, "a whole number", "'" + text + "'", mark);
  }
}

namespace load {

void Loader::add_source(const std::string& name, const std::string& text) {
  r_.sources.emplace_back(name, text);
}

void Loader::run() {
  // Parse every file first so that declarations from any file are visible to every other.
  for (const auto& [name, text] : r_.sources) {
    try {
      docs_.push_back(Doc{name, parse_yaml(name, text), std::nullopt});
      r_.files.push_back(name);
    } catch (Error& e) {
      errors_.push_back(e);
    }
  }
  for (auto& d : docs_) attempt([&] { classify(d); });
  for (auto& d : docs_) attempt([&] { declare_shared(d); });
  for (auto& d : docs_) {
    if (d.set) attempt([&] { declare_set(d); });
  }
  for (auto& d : docs_) {
    if (d.set) attempt([&] { compile_set(d); });
  }
  attempt([&] { check_groups(); });
  attempt([&] { check_cycles(); });
  if (!errors_.empty()) throw ErrorList(errors_);
  fingerprint();
}

}  // namespace load

namespace {

std::vector<std::string> rule_files(const std::string& path) {
  namespace fs = std::filesystem;
  std::error_code ec;
  if (fs::is_directory(path, ec)) {
    std::vector<std::string> out;
    for (const auto& entry : fs::directory_iterator(path, ec)) {
      // Any case: a file saved as P.YAML on another system is a rule file, not one to skip.
      std::string ext = entry.path().extension().string();
      for (char& ch : ext) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
      if (entry.is_regular_file() && (ext == ".yaml" || ext == ".yml"))
        out.push_back(entry.path().string());
    }
    std::sort(out.begin(), out.end());
    return out;
  }
  if (!fs::exists(path, ec))
    throw Error(ErrorKind::io, "no such file or directory", Mark{path, 0, 0, {}});
  return {path};
}

}  // namespace
}  // namespace detail

RuleSet RuleSet::load(const std::vector<std::string>& paths) {
  std::vector<std::pair<std::string, std::string>> sources;
  for (const auto& p : paths) {
    for (const auto& file : detail::rule_files(p))
      sources.emplace_back(file, detail::read_file(file));
  }
  if (sources.empty()) throw Error(ErrorKind::io, "no rule files (*.yaml) found");
  return load_texts(sources);
}

RuleSet RuleSet::load_texts(const std::vector<std::pair<std::string, std::string>>& sources) {
  auto compiled = std::make_shared<detail::CompiledRules>();
  detail::load::Loader loader(*compiled);
  for (const auto& [name, text] : sources) loader.add_source(name, text);
  loader.run();
  return RuleSet(std::move(compiled));
}

const std::vector<PolicySetInfo>& RuleSet::policy_sets() const { return impl_->sets; }
const std::vector<RuleInfo>& RuleSet::rules() const { return impl_->rules; }
const std::vector<ParameterInfo>& RuleSet::parameters() const { return impl_->parameters; }
const std::vector<OptionInfo>& RuleSet::options() const { return impl_->options; }
const std::vector<GroupInfo>& RuleSet::groups() const { return impl_->groups; }
const std::vector<FactDecl>& RuleSet::facts() const { return impl_->facts; }
const std::vector<Payer>& RuleSet::payers() const { return impl_->payers; }
const std::vector<BudgetLine>& RuleSet::budget() const { return impl_->budget; }
const std::vector<std::pair<std::string, std::string>>& RuleSet::sources() const {
  return impl_->sources;
}
const std::string& RuleSet::fingerprint() const { return impl_->fingerprint; }

RuleSetSummary RuleSet::summary() const {
  RuleSetSummary s;
  s.files = impl_->files.size();
  s.policy_sets = impl_->sets.size();
  s.rules = impl_->rules.size();
  s.parameters = impl_->parameters.size();
  s.options = impl_->options.size();
  s.facts = impl_->facts.size();
  s.budget_lines = impl_->budget.size();
  s.checks = impl_->checks.size();
  return s;
}

const RuleInfo* RuleSet::find_rule(std::string_view qualified_id) const {
  auto it = impl_->rule_index.find(qualified_id);
  return it == impl_->rule_index.end() ? nullptr : &impl_->rules[impl_->crules[it->second].info];
}

std::shared_ptr<const RuleInfo> RuleSet::rule(std::string_view qualified_id) const {
  const RuleInfo* found = find_rule(qualified_id);
  return found == nullptr ? nullptr : std::shared_ptr<const RuleInfo>(impl_, found);
}

const ParameterInfo* RuleSet::find_parameter(std::string_view name) const {
  const ParameterInfo* found = nullptr;
  for (const auto& p : impl_->parameters) {
    if (p.qualified_name == name) return &p;
    if (p.name == name) {
      if (found) return nullptr;  // ambiguous bare name
      found = &p;
    }
  }
  return found;
}

std::optional<std::size_t> RuleSet::fact_slot(std::string_view name) const {
  auto it = impl_->fact_index.find(name);
  if (it == impl_->fact_index.end()) return std::nullopt;
  return it->second;
}

}  // namespace subsidy
