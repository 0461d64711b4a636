// Loading and checking rule files: YAML → compiled rule set, every problem located.
#include "subsidy/rules.hpp"

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <functional>
#include <set>

#include "compiled.hpp"
#include "document.hpp"
#include "sha256.hpp"

namespace subsidy {

// ---- small public helpers -------------------------------------------------------------------------

Date Date::parse(std::string_view text) {
  auto fail = [&]() -> Date {
    throw Error::expected(ErrorKind::parse, "a date written YYYY-MM-DD", "\"" + std::string(text) + "\"");
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
    case UnitKind::money: return "money (元)";
    case UnitKind::rate: return "a rate";
    case UnitKind::count: return "a count";
    case UnitKind::number: return "a number";
    case UnitKind::measure: return "a measure in " + measure;
    case UnitKind::boolean: return "a condition (true/false)";
    case UnitKind::enumeration: return "an enumeration";
    case UnitKind::date: return "a date";
    case UnitKind::year: return "a year";
    case UnitKind::text: return "text";
    case UnitKind::list: return "a list";
  }
  return "a value";
}

const char* to_string(PolicyStatus s) noexcept {
  switch (s) {
    case PolicyStatus::in_force: return "in_force";
    case PolicyStatus::draft: return "draft";
    case PolicyStatus::proposal: return "proposal";
  }
  return "";
}
const char* to_string(AwardForm f) noexcept {
  switch (f) {
    case AwardForm::cash: return "cash";
    case AwardForm::in_kind: return "in_kind";
    case AwardForm::preference: return "preference";
    case AwardForm::honour: return "honour";
  }
  return "";
}
const char* to_string(AmountKind k) noexcept {
  switch (k) {
    case AmountKind::fixed: return "fixed";
    case AmountKind::band: return "band";
    case AmountKind::rate_of_base: return "rate";
    case AmountKind::formula: return "formula";
    case AmountKind::per_item: return "per_item";
    case AmountKind::tiers: return "tiers";
    case AmountKind::unfixed: return "unfixed";
    case AmountKind::honour: return "honour";
  }
  return "";
}
const char* to_string(HitPolicy h) noexcept {
  switch (h) {
    case HitPolicy::unique: return "unique";
    case HitPolicy::highest: return "highest";
    case HitPolicy::first: return "first";
    case HitPolicy::sum: return "sum";
  }
  return "";
}

std::string Recurrence::to_string() const {
  switch (kind) {
    case Kind::one_time: return "one_time";
    case Kind::yearly: return "yearly";
    case Kind::years_from: return std::to_string(years) + " years from " + from;
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
namespace {

// ---- reading maps with unknown-key detection ---------------------------------------------------------

std::size_t edit_distance(const std::string& a, const std::string& b) {
  std::vector<std::size_t> prev(b.size() + 1), cur(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) prev[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    cur[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1)});
    }
    std::swap(prev, cur);
  }
  return prev[b.size()];
}

std::string suggestion(const std::string& key, const std::vector<std::string>& known) {
  std::string best;
  std::size_t best_d = 3;
  for (const auto& k : known) {
    const std::size_t d = edit_distance(key, k);
    if (d < best_d) {
      best_d = d;
      best = k;
    }
  }
  return best.empty() ? std::string() : " (did you mean '" + best + "'?)";
}

std::string join(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& i : items) out += (out.empty() ? "" : ", ") + i;
  return out;
}

/// A map whose keys must all be known: `done()` reports the first unknown key.
class Fields {
 public:
  Fields(const RawValue& v, std::string what, std::vector<std::string> known)
      : v_(v), what_(std::move(what)), known_(std::move(known)) {
    if (v.kind != RawValue::Kind::map) {
      throw Error::expected(ErrorKind::schema, what_ + " (a map)", describe(v), v.mark);
    }
    for (const auto& [k, val] : v.entries) {
      if (std::find(known_.begin(), known_.end(), k) == known_.end()) {
        throw Error(ErrorKind::schema,
                    "unknown key '" + k + "' in " + what_ + suggestion(k, known_) +
                        "; expected one of: " + join(known_),
                    val.mark.line ? key_mark(k) : v.mark);
      }
    }
  }

  Mark key_mark(const std::string& key) const {
    const RawValue* x = find(v_, key);
    return x ? x->mark : v_.mark;
  }
  const Mark& mark() const { return v_.mark; }
  const RawValue* get(const std::string& key) const {
    const RawValue* x = find(v_, key);
    return (x && x->kind != RawValue::Kind::null) ? x : nullptr;
  }
  const RawValue& need(const std::string& key) const {
    const RawValue* x = get(key);
    if (!x) throw Error::expected(ErrorKind::schema, "a key '" + key + "' in " + what_, "none", v_.mark);
    return *x;
  }
  std::string text(const std::string& key, const std::string& fallback = {}) const {
    const RawValue* x = get(key);
    if (!x) return fallback;
    return scalar(*x, "'" + key + "'");
  }
  std::string need_text(const std::string& key) const {
    std::string t = scalar(need(key), "'" + key + "'");
    if (t.empty()) {
      throw Error::expected(ErrorKind::schema, "a non-empty '" + key + "'", "an empty value",
                            key_mark(key));
    }
    return t;
  }
  static std::string scalar(const RawValue& x, const std::string& what) {
    if (x.kind != RawValue::Kind::text) {
      throw Error::expected(ErrorKind::schema, what + " as text", describe(x), x.mark);
    }
    return x.text;
  }
  const std::string& what() const { return what_; }

 private:
  const RawValue& v_;
  std::string what_;
  std::vector<std::string> known_;
};

Text read_text(const RawValue& v, const std::string& what) {
  if (v.kind == RawValue::Kind::text) return Text{v.text, {}};
  Fields f(v, what, {"zh", "en"});
  return Text{f.text("zh"), f.text("en")};
}

bool read_bool(const RawValue& v, const std::string& what) {
  const std::string t = Fields::scalar(v, what);
  if (t == "true") return true;
  if (t == "false") return false;
  throw Error::expected(ErrorKind::schema, what + " true or false", describe(v), v.mark);
}

// `in_force: {from: YYYY-MM-DD, until: YYYY-MM-DD}`, both optional, both days included.
InForce read_in_force(const RawValue& v) {
  Fields f(v, "'in_force'", {"from", "until"});
  InForce out;
  auto day = [&](const char* key, std::optional<Date>& into) {
    const RawValue* x = f.get(key);
    if (!x) return;
    try {
      into = Date::parse(Fields::scalar(*x, std::string("'") + key + "'"));
    } catch (Error& e) {
      throw e.locate(x->mark);
    }
  };
  day("from", out.from);
  day("until", out.until);
  if (out.from && out.until && *out.until < *out.from) {
    throw Error::expected(ErrorKind::schema, "'until' on or after 'from' (" + out.from->to_string() + ")",
                          out.until->to_string(), f.key_mark("until"));
  }
  return out;
}

Mark mark_in_scalar(const RawValue& v) {
  Mark m = v.mark;
  // Plain scalars start at the mark; quoted ones one column later.
  if (v.quoted && m.column > 0) m.column += 1;
  return m;
}

Decimal read_amount(const RawValue& v, const std::string& what, AmountUnit* unit = nullptr) {
  const std::string t = Fields::scalar(v, what);
  try {
    Amount a = Decimal::parse_amount(t);
    if (unit) *unit = a.unit;
    return a.value;
  } catch (Error& e) {
    e.locate(mark_in_scalar(v));
    throw;
  }
}

}  // namespace

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

namespace {

const std::vector<std::string> kUnitNames = {"money", "rate", "count", "number", "measure", "boolean",
                                             "enum",  "date", "year",  "text",   "list"};

Unit read_unit(const std::string& t, const std::string& measure, const Mark& mark) {
  static const std::pair<const char*, UnitKind> kinds[] = {
      {"money", UnitKind::money},     {"rate", UnitKind::rate},   {"count", UnitKind::count},
      {"number", UnitKind::number},   {"measure", UnitKind::measure},
      {"boolean", UnitKind::boolean}, {"enum", UnitKind::enumeration},
      {"date", UnitKind::date},       {"year", UnitKind::year},   {"text", UnitKind::text},
      {"list", UnitKind::list}};
  for (const auto& [name, kind] : kinds) {
    if (t == name) {
      Unit u{kind, {}};
      if (kind == UnitKind::measure) {
        if (measure.empty()) {
          throw Error::expected(ErrorKind::schema, "a 'unit' for a measure (e.g. 平方米)", "none", mark);
        }
        u.measure = measure;
      }
      return u;
    }
  }
  throw Error::expected(ErrorKind::schema, "a type among " + join(kUnitNames), "'" + t + "'", mark);
}

bool valid_id(const std::string& id, bool allow_upper) {
  if (id.empty()) return false;
  for (char c : id) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_' ||
                    (allow_upper && c >= 'A' && c <= 'Z');
    if (!ok) return false;
  }
  return true;
}

bool valid_name(const std::string& id) {
  if (id.empty() || (id[0] >= '0' && id[0] <= '9')) return false;
  for (char c : id) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
    if (!ok) return false;
  }
  return true;
}

// ---- the loader ---------------------------------------------------------------------------------------

class Loader {
 public:
  explicit Loader(CompiledRules& out) : r_(out) {}

  void add_source(const std::string& name, const std::string& text) {
    r_.sources.emplace_back(name, text);
  }

  void run() {
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

 private:
  struct Doc {
    std::string name;
    RawValue root;
    std::optional<std::size_t> set;  // index into r_.sets / r_.csets
  };

  template <class F>
  void attempt(F&& f) {
    try {
      f();
    } catch (ErrorList& list) {
      for (const auto& e : list.errors()) errors_.push_back(e);
    } catch (Error& e) {
      errors_.push_back(e);
    }
  }

  template <class F>
  void each_item(const RawValue& list, const std::string& what, F&& f) {
    if (list.kind != RawValue::Kind::list) {
      throw Error::expected(ErrorKind::schema, what + " (a list)", describe(list), list.mark);
    }
    for (const auto& item : list.items) attempt([&] { f(item); });
  }

  template <class F>
  void each_entry(const RawValue& map, const std::string& what, F&& f) {
    if (map.kind != RawValue::Kind::map) {
      throw Error::expected(ErrorKind::schema, what + " (a map)", describe(map), map.mark);
    }
    // Not a structured binding: C++17 lambdas cannot capture those (clang refuses).
    for (const auto& entry : map.entries) attempt([&] { f(entry.first, entry.second); });
  }

  void classify(Doc& d) {
    static const std::vector<std::string> catalogue_keys = {"catalogue", "payers", "groups", "options",
                                                            "facts"};
    static const std::vector<std::string> set_keys = {
        "policy_set", "facts",  "options", "parameters", "derived", "rules",
        "budget",     "checks", "exclusions", "caps", "payers"};
    const RawValue& root = d.root;
    if (root.kind != RawValue::Kind::map) {
      throw Error::expected(ErrorKind::schema, "a map with 'policy_set' or 'catalogue' at the top",
                            describe(root), root.mark);
    }
    const bool is_set = find(root, "policy_set") != nullptr;
    const bool is_cat = find(root, "catalogue") != nullptr;
    if (is_set == is_cat) {
      throw Error::expected(ErrorKind::schema, "exactly one of 'policy_set' or 'catalogue' at the top",
                            is_set ? "both" : "neither", Mark{d.name, 1, 1, {}});
    }
    Fields f(root, is_set ? "a policy set file" : "a catalogue file", is_set ? set_keys : catalogue_keys);
    if (is_cat) {
      Fields c(f.need("catalogue"), "'catalogue'", {"id", "title", "notes"});
      c.need_text("id");
      return;
    }
    Fields p(f.need("policy_set"), "'policy_set'",
             {"id", "title", "issuer", "document_number", "date", "date_as_written", "status", "in_force",
              "source", "applies_to", "group", "notes"});
    PolicySetInfo info;
    info.id = p.need_text("id");
    if (!valid_id(info.id, false)) {
      throw Error::expected(ErrorKind::schema, "a policy set id of a-z, 0-9 and '-'", "'" + info.id + "'",
                            p.key_mark("id"));
    }
    if (r_.set_index.count(info.id)) {
      throw Error(ErrorKind::name, "policy set '" + info.id + "' is declared twice", p.key_mark("id"));
    }
    info.title = read_text(p.need("title"), "'title'");
    info.issuer = p.text("issuer");
    info.document_number = p.text("document_number");
    if (const RawValue* date = p.get("date")) {
      try {
        info.date = Date::parse(Fields::scalar(*date, "'date'"));
      } catch (Error& e) {
        throw e.locate(date->mark);
      }
    }
    info.date_as_written = p.text("date_as_written");
    const std::string status = p.text("status", "in_force");
    if (status == "in_force") info.status = PolicyStatus::in_force;
    else if (status == "draft") info.status = PolicyStatus::draft;
    else if (status == "proposal") info.status = PolicyStatus::proposal;
    else {
      throw Error::expected(ErrorKind::schema, "status in_force, draft or proposal", "'" + status + "'",
                            p.key_mark("status"));
    }
    if (const RawValue* src = p.get("source")) Fields(*src, "'source'", {"file", "lines"});
    if (const RawValue* x = p.get("in_force")) info.in_force = read_in_force(*x);
    info.applies_to = p.text("applies_to");
    info.group = p.text("group");
    info.file = d.name;
    d.set = r_.sets.size();
    r_.set_index[info.id] = r_.sets.size();
    r_.sets.push_back(std::move(info));
    r_.csets.emplace_back();
    r_.csets.back().info = *d.set;
  }

  // Payers, groups, options and facts: global names, from catalogues and policy sets alike.
  void declare_shared(Doc& d) {
    const RawValue& root = d.root;
    if (const RawValue* payers = find(root, "payers"); payers && payers->kind != RawValue::Kind::null) {
      each_entry(*payers, "'payers'", [&](const std::string& id, const RawValue& v) {
        Payer p;
        p.id = id;
        if (v.kind != RawValue::Kind::null) {
          Fields f(v, "payer '" + id + "'", {"en", "zh", "level"});
          p.en = f.text("en");
          p.level = f.text("level", "other");
          static const std::vector<std::string> levels = {"city", "province", "national", "beneficiary",
                                                          "union", "other"};
          if (std::find(levels.begin(), levels.end(), p.level) == levels.end()) {
            throw Error::expected(ErrorKind::schema, "a level among " + join(levels), "'" + p.level + "'",
                                  f.key_mark("level"));
          }
        }
        if (r_.payer_index.count(id)) {
          throw Error(ErrorKind::name, "payer '" + id + "' is declared twice", v.mark);
        }
        r_.payer_index[id] = r_.payers.size();
        r_.payers.push_back(std::move(p));
      });
    }
    if (const RawValue* groups = find(root, "groups"); groups && groups->kind != RawValue::Kind::null) {
      each_entry(*groups, "'groups'", [&](const std::string& id, const RawValue& v) {
        Fields f(v, "group '" + id + "'", {"title", "default", "notes"});
        GroupInfo g;
        g.id = id;
        if (const RawValue* t = f.get("title")) g.title = read_text(*t, "'title'");
        g.default_member = f.need_text("default");
        if (r_.group_index.count(id)) {
          throw Error(ErrorKind::name, "group '" + id + "' is declared twice", v.mark);
        }
        r_.group_index[id] = r_.groups.size();
        group_marks_.push_back(f.key_mark("default"));
        r_.groups.push_back(std::move(g));
      });
    }
    if (const RawValue* options = find(root, "options"); options && options->kind != RawValue::Kind::null) {
      each_entry(*options, "'options'", [&](const std::string& name, const RawValue& v) {
        Fields f(v, "option '" + name + "'", {"question", "choices", "default", "see", "notes"});
        OptionInfo o;
        o.name = name;
        if (!valid_name(name)) {
          throw Error::expected(ErrorKind::schema, "an option name of letters, digits and '_'",
                                "'" + name + "'", v.mark);
        }
        if (const RawValue* q = f.get("question")) o.question = read_text(*q, "'question'");
        each_entry(f.need("choices"), "'choices'", [&](const std::string& c, const RawValue& cv) {
          o.choices.emplace_back(c, cv.kind == RawValue::Kind::null ? Text{} : read_text(cv, "choice"));
        });
        o.default_choice = f.need_text("default");
        o.see = f.text("see");
        const bool known = std::any_of(o.choices.begin(), o.choices.end(),
                                       [&](const auto& c) { return c.first == o.default_choice; });
        if (!known) {
          std::vector<std::string> names;
          for (const auto& c : o.choices) names.push_back(c.first);
          throw Error::expected(ErrorKind::option, "a default among the choices (" + join(names) + ")",
                                "'" + o.default_choice + "'", f.key_mark("default"));
        }
        if (r_.option_index.count(name)) {
          throw Error(ErrorKind::name, "option '" + name + "' is declared twice", v.mark);
        }
        r_.option_index[name] = r_.options.size();
        r_.options.push_back(std::move(o));
      });
    }
    if (const RawValue* facts = find(root, "facts"); facts && facts->kind != RawValue::Kind::null) {
      each_entry(*facts, "'facts'", [&](const std::string& name, const RawValue& v) {
        FactDecl decl = read_fact(name, v, true);
        if (decl.default_value) parse_fact(decl, *decl.default_value);  // a bad default fails here, located
        static const std::set<std::string> reserved = {"id", "name", "year", "decided"};
        if (reserved.count(name)) {
          throw Error(ErrorKind::name, "'" + name + "' is a reserved field of every enterprise record",
                      v.mark);
        }
        auto it = r_.fact_index.find(name);
        if (it != r_.fact_index.end()) {
          if (!same_decl(r_.facts[it->second], decl)) {
            throw Error(ErrorKind::name,
                        "fact '" + name + "' is declared twice with different declarations", v.mark);
          }
          return;
        }
        r_.fact_index[name] = r_.facts.size();
        r_.facts.push_back(std::move(decl));
      });
    }
  }

  static bool same_decl(const FactDecl& a, const FactDecl& b) {
    const auto default_text = [](const FactDecl& d) {
      return d.default_value ? describe(*d.default_value) + "#" + std::to_string(d.default_value->items.size())
                             : std::string("none");
    };
    if (a.unit != b.unit || a.values != b.values || a.required != b.required || a.allow_negative != b.allow_negative ||
        a.fields.size() != b.fields.size() || default_text(a) != default_text(b) || a.label.zh != b.label.zh ||
        a.label.en != b.label.en) {
      return false;
    }
    for (std::size_t i = 0; i < a.fields.size(); ++i) {
      if (a.fields[i].name != b.fields[i].name || !same_decl(a.fields[i], b.fields[i])) return false;
    }
    return true;
  }

  FactDecl read_fact(const std::string& name, const RawValue& v, bool top) {
    if (!valid_name(name)) {
      throw Error::expected(ErrorKind::schema, "a fact name of letters, digits and '_'", "'" + name + "'",
                            v.mark);
    }
    std::vector<std::string> keys = {"type", "unit", "values", "label", "required", "default", "notes",
                                     "allow_negative"};
    if (top) keys.push_back("fields");
    Fields f(v, "fact '" + name + "'", keys);
    FactDecl d;
    d.name = name;
    d.unit = read_unit(f.need_text("type"), f.text("unit"), f.key_mark("type"));
    if (d.unit.kind == UnitKind::list && !top) {
      throw Error::expected(ErrorKind::schema, "a scalar type for a list field", "list", f.key_mark("type"));
    }
    if (const RawValue* l = f.get("label")) d.label = read_text(*l, "'label'");
    if (const RawValue* req = f.get("required")) d.required = read_bool(*req, "'required'");
    if (const RawValue* neg = f.get("allow_negative")) d.allow_negative = read_bool(*neg, "'allow_negative'");
    if (d.unit.kind == UnitKind::enumeration) {
      each_item(f.need("values"), "'values'", [&](const RawValue& item) {
        d.values.push_back(Fields::scalar(item, "an enumeration value"));
      });
    }
    if (d.unit.kind == UnitKind::list) {
      each_entry(f.need("fields"), "'fields'", [&](const std::string& fname, const RawValue& fv) {
        d.fields.push_back(read_fact(fname, fv, false));
      });
    }
    if (const RawValue* def = f.get("default")) d.default_value = *def;
    return d;
  }

  struct SetScope : Scope {
    const CompiledRules& r;
    std::size_t set;
    mutable std::vector<std::size_t>* uses = nullptr;
    SetScope(const CompiledRules& rules, std::size_t s) : r(rules), set(s) {}
    std::optional<Binding> lookup(const std::string& name) const override {
      auto it = r.names.find({set, name});
      if (it != r.names.end()) return it->second;
      auto f = r.fact_index.find(name);
      if (f != r.fact_index.end()) {
        const FactDecl& d = r.facts[f->second];
        return Binding{RefKind::fact, f->second, d.unit,
                       d.unit.kind == UnitKind::enumeration ? &d.values : nullptr,
                       d.unit.kind == UnitKind::list ? &d : nullptr};
      }
      if (name == "year") return Binding{RefKind::fact, kYearSlot, Unit{UnitKind::year, {}}, nullptr, nullptr};
      return std::nullopt;
    }
    std::optional<std::pair<std::size_t, const OptionInfo*>> option(const std::string& name) const override {
      auto it = r.option_index.find(name);
      if (it == r.option_index.end()) return std::nullopt;
      return std::make_pair(it->second, &r.options[it->second]);
    }
    void uses_derived(std::size_t slot) const override {
      if (uses) uses->push_back(slot);
    }
  };

  // Records of a list are in scope inside `per_item: for_each` awards.
  struct RecordScopeWrapper : Scope {
    const Scope& inner;
    const FactDecl& list;
    RecordScopeWrapper(const Scope& s, const FactDecl& l) : inner(s), list(l) {}
    std::optional<Binding> lookup(const std::string& name) const override {
      for (std::size_t k = 0; k < list.fields.size(); ++k) {
        if (list.fields[k].name == name) {
          const FactDecl& f = list.fields[k];
          return Binding{RefKind::field, k, f.unit,
                         f.unit.kind == UnitKind::enumeration ? &f.values : nullptr, nullptr};
        }
      }
      return inner.lookup(name);
    }
    std::optional<std::pair<std::size_t, const OptionInfo*>> option(const std::string& name) const override {
      return inner.option(name);
    }
    void uses_derived(std::size_t slot) const override { inner.uses_derived(slot); }
  };

  Expression expr(const RawValue& v, const Scope& scope, std::optional<Unit> unit, const std::string& what) {
    const std::string text = Fields::scalar(v, what);
    if (text.empty()) throw Error::expected(ErrorKind::schema, what + " as an expression", "an empty value", v.mark);
    Expression e = parse_expression(text, mark_in_scalar(v));
    check_expression(e, scope, unit);
    return e;
  }

  // Parameters and derived names of one policy set (all of them, before any expression is compiled).
  void declare_set(Doc& d) {
    const std::size_t set = *d.set;
    const std::string& set_id = r_.sets[set].id;
    if (const RawValue* params = find(d.root, "parameters"); params && params->kind != RawValue::Kind::null) {
      each_entry(*params, "'parameters'", [&](const std::string& name, const RawValue& v) {
        Fields f(v, "parameter '" + name + "'", {"unit", "measure", "label", "value", "versions", "reference", "in_force", "notes"});
        ParameterInfo p;
        p.policy_set = set_id;
        p.name = name;
        p.qualified_name = set_id + "." + name;
        p.unit = read_unit(f.need_text("unit"), f.text("measure"), f.key_mark("unit"));
        if (!p.unit.numeric()) {
          throw Error::expected(ErrorKind::schema, "a numeric unit (money, rate, count, number, measure)",
                                p.unit.to_string(), f.key_mark("unit"));
        }
        if (const RawValue* l = f.get("label")) p.label = read_text(*l, "'label'");
        if (const RawValue* x = f.get("in_force")) p.in_force = read_in_force(*x);
        const RawValue* value = f.get("value");
        const RawValue* versions = f.get("versions");
        if ((value != nullptr) == (versions != nullptr)) {
          throw Error::expected(ErrorKind::schema, "exactly one of 'value' or 'versions'",
                                value ? "both" : "neither", v.mark);
        }
        if (value) {
          p.versions.push_back({std::nullopt, param_value(*value, p), f.text("reference")});
        } else {
          each_item(*versions, "'versions'", [&](const RawValue& item) {
            Fields vf(item, "a parameter version", {"from", "value", "reference"});
            ParameterVersion pv;
            const RawValue& from = vf.need("from");
            try {
              pv.from = Date::parse(Fields::scalar(from, "'from'"));
            } catch (Error& e) {
              throw e.locate(from.mark);
            }
            pv.value = param_value(vf.need("value"), p);
            pv.reference = vf.text("reference");
            if (!p.versions.empty() && !(*p.versions.back().from < *pv.from)) {
              throw Error::expected(ErrorKind::parameter,
                                    "versions in increasing date order (after " +
                                        p.versions.back().from->to_string() + ")",
                                    pv.from->to_string(), from.mark, "parameter '" + name + "'");
            }
            p.versions.push_back(std::move(pv));
          });
          if (p.versions.empty()) {
            throw Error::expected(ErrorKind::parameter, "at least one version", "none", versions->mark);
          }
        }
        bind(set, name, Binding{RefKind::parameter, r_.parameters.size(), p.unit, nullptr, nullptr}, v.mark);
        r_.parameters.push_back(std::move(p));
      });
    }
    if (const RawValue* derived = find(d.root, "derived"); derived && derived->kind != RawValue::Kind::null) {
      each_entry(*derived, "'derived'", [&](const std::string& name, const RawValue& v) {
        Fields f(v, "derived value '" + name + "'", {"unit", "measure", "label", "expr", "notes"});
        CompiledDerived cd;
        cd.set = set;
        cd.name = name;
        cd.unit = read_unit(f.need_text("unit"), f.text("measure"), f.key_mark("unit"));
        if (const RawValue* l = f.get("label")) cd.label = read_text(*l, "'label'");
        f.need("expr");
        bind(set, name, Binding{RefKind::derived, r_.derived.size(), cd.unit, nullptr, nullptr}, v.mark);
        derived_sources_.push_back(&v);
        r_.derived.push_back(std::move(cd));
      });
    }
  }

  void bind(std::size_t set, const std::string& name, Binding b, const Mark& mark) {
    if (!valid_name(name)) {
      throw Error::expected(ErrorKind::schema, "a name of letters, digits and '_'", "'" + name + "'", mark);
    }
    if (r_.fact_index.count(name) || name == "year") {
      throw Error(ErrorKind::name, "'" + name + "' is already the name of a fact", mark);
    }
    if (!r_.names.emplace(std::make_pair(set, name), b).second) {
      throw Error(ErrorKind::name, "'" + name + "' is declared twice in this policy set", mark);
    }
  }

  Decimal param_value(const RawValue& v, const ParameterInfo& p) {
    Amount amount;
    amount.value = read_amount(v, "a parameter value", &amount.unit);
    check_parameter_value(p, amount, v.text, v.mark);
    return amount.value;
  }

  void compile_set(Doc& d) {
    const std::size_t set = *d.set;
    CompiledSet& cs = r_.csets[set];
    PolicySetInfo& info = r_.sets[set];
    SetScope scope(r_, set);
    const RawValue& header = *find(d.root, "policy_set");
    if (!info.applies_to.empty()) {
      attempt([&] { cs.applies_to = expr(*find(header, "applies_to"), scope, boolean_unit(), "'applies_to'"); });
    }
    if (!info.group.empty()) {
      // An unknown group is reported, and the rest of the set is still compiled and checked.
      attempt([&] {
        auto g = r_.group_index.find(info.group);
        if (g == r_.group_index.end()) {
          throw Error(ErrorKind::name, "group '" + info.group + "' is not declared in any catalogue",
                      find(header, "group")->mark);
        }
        cs.group = g->second;
        r_.groups[g->second].members.push_back(info.id);
      });
    }
    // Derived values of this set.
    for (std::size_t k = 0; k < r_.derived.size(); ++k) {
      CompiledDerived& cd = r_.derived[k];
      if (cd.set != set) continue;
      attempt([&] {
        scope.uses = &cd.uses;
        const RawValue& expr_text = *find(*derived_sources_[k], "expr");
        cd.expr = expr(expr_text, scope, cd.unit, "'expr'");
        scope.uses = nullptr;
      });
      scope.uses = nullptr;
    }
    if (const RawValue* rules = find(d.root, "rules"); rules && rules->kind != RawValue::Kind::null) {
      each_item(*rules, "'rules'", [&](const RawValue& v) { compile_rule(set, scope, v); });
    }
    info.rule_count = cs.rules.size();
    if (const RawValue* budget = find(d.root, "budget"); budget && budget->kind != RawValue::Kind::null) {
      each_item(*budget, "'budget'", [&](const RawValue& v) { compile_budget(set, v); });
    }
    if (const RawValue* checks = find(d.root, "checks"); checks && checks->kind != RawValue::Kind::null) {
      each_item(*checks, "'checks'", [&](const RawValue& v) {
        Fields f(v, "a check", {"id", "citation", "when", "require", "message", "notes"});
        CompiledCheck c;
        c.set = set;
        c.id = f.need_text("id");
        c.citation = read_citation(f, info.id);
        if (const RawValue* w = f.get("when")) c.when = expr(*w, scope, boolean_unit(), "'when'");
        c.require = expr(f.need("require"), scope, boolean_unit(), "'require'");
        if (const RawValue* m = f.get("message")) c.message = read_text(*m, "'message'");
        cs.checks.push_back(r_.checks.size());
        r_.checks.push_back(std::move(c));
      });
    }
    if (const RawValue* ex = find(d.root, "exclusions"); ex && ex->kind != RawValue::Kind::null) {
      each_item(*ex, "'exclusions'", [&](const RawValue& v) {
        Fields f(v, "an exclusion", {"id", "rules", "resolve", "citation", "reason", "notes"});
        CompiledExclusion x;
        x.set = set;
        x.id = f.need_text("id");
        x.rules = rule_refs(f.need("rules"), info.id);
        const std::string resolve = f.text("resolve", "higher");
        if (resolve != "higher" && resolve != "priority") {
          throw Error::expected(ErrorKind::schema, "resolve: higher (就高) or priority", "'" + resolve + "'",
                                f.key_mark("resolve"));
        }
        x.higher = resolve == "higher";
        if (f.get("citation")) read_citation(f, info.id);
        x.reason = f.text("reason", "不重复享受");
        cs.exclusions.push_back(r_.exclusions.size());
        r_.exclusions.push_back(std::move(x));
      });
    }
    if (const RawValue* caps = find(d.root, "caps"); caps && caps->kind != RawValue::Kind::null) {
      each_item(*caps, "'caps'", [&](const RawValue& v) {
        Fields f(v, "a cap", {"id", "rules", "max", "citation", "notes"});
        CompiledCap c;
        c.set = set;
        c.id = f.need_text("id");
        c.rules = rule_refs(f.need("rules"), info.id);
        c.max = expr(f.need("max"), scope, money_unit(), "'max'");
        if (f.get("citation")) read_citation(f, info.id);
        cs.caps.push_back(r_.caps.size());
        r_.caps.push_back(std::move(c));
      });
    }
  }

  std::vector<std::size_t> rule_refs(const RawValue& list, const std::string& set_id) {
    std::vector<std::size_t> out;
    each_item(list, "'rules'", [&](const RawValue& item) {
      std::string id = Fields::scalar(item, "a rule id");
      if (id.find('/') == std::string::npos) id = set_id + "/" + id;
      auto it = r_.rule_index.find(id);
      if (it == r_.rule_index.end()) {
        throw Error(ErrorKind::name, "rule '" + id + "' is not defined (rules must be defined before "
                                                     "they are referred to)", item.mark);
      }
      out.push_back(it->second);
    });
    return out;
  }

  Citation read_citation(const Fields& owner, const std::string& set_id) {
    const RawValue* c = owner.get("citation");
    if (!c) {
      throw Error(ErrorKind::citation,
                  "missing citation: every rule names its document, clause and the sentence it encodes",
                  owner.mark());
    }
    Fields f(*c, "'citation'", {"document", "clause", "lines", "text"});
    Citation out;
    out.document = f.text("document", set_id);
    out.clause = f.text("clause");
    out.text = f.text("text");
    if (out.clause.empty()) {
      throw Error::expected(ErrorKind::citation, "the clause number as the text numbers it", "none",
                            f.mark());
    }
    if (out.text.empty()) {
      throw Error::expected(ErrorKind::citation, "the verbatim sentence the rule encodes ('text')", "none",
                            f.mark());
    }
    if (const RawValue* lines = f.get("lines")) {
      each_item(*lines, "'lines'", [&](const RawValue& l) {
        const std::string t = Fields::scalar(l, "a line number");
        if (t.empty() || t.size() > 9 || t.find_first_not_of("0123456789") != std::string::npos) {
          throw Error::expected(ErrorKind::citation, "a line number", describe(l), l.mark);
        }
        out.lines.push_back(std::stoi(t));
      });
    }
    return out;
  }

  void compile_rule(std::size_t set, const SetScope& scope, const RawValue& v) {
    Fields f(v, "a rule",
             {"id", "title", "citation", "payer", "payer_inferred", "form", "in_kind", "recurrence", "when", "award",
              "rounding", "in_force", "notes"});
    RuleInfo info;
    info.policy_set = r_.sets[set].id;
    info.id = f.need_text("id");
    info.mark = v.mark;
    if (!valid_id(info.id, true)) {
      throw Error::expected(ErrorKind::schema, "a rule id of letters, digits, '-' and '_'", "'" + info.id + "'",
                            f.key_mark("id"));
    }
    info.qualified_id = info.policy_set + "/" + info.id;
    if (r_.rule_index.count(info.qualified_id)) {
      throw Error(ErrorKind::name, "rule '" + info.id + "' is defined twice in this policy set", f.key_mark("id"));
    }
    if (const RawValue* t = f.get("title")) info.title = read_text(*t, "'title'");
    if (const RawValue* x = f.get("in_force")) info.in_force = read_in_force(*x);
    info.citation = read_citation(f, info.policy_set);
    const std::string form = f.text("form", "cash");
    if (form == "cash") info.form = AwardForm::cash;
    else if (form == "in_kind") info.form = AwardForm::in_kind;
    else if (form == "preference") info.form = AwardForm::preference;
    else if (form == "honour") info.form = AwardForm::honour;
    else {
      throw Error::expected(ErrorKind::schema, "form cash, in_kind, preference or honour", "'" + form + "'",
                            f.key_mark("form"));
    }
    if (const RawValue* k = f.get("in_kind")) info.in_kind = read_text(*k, "'in_kind'");
    if (info.form == AwardForm::in_kind && info.in_kind.zh.empty() && info.in_kind.en.empty()) {
      throw Error::expected(ErrorKind::schema, "'in_kind' naming what is given (e.g. 图书)", "none", v.mark);
    }
    info.payer = f.text("payer");
    if (info.payer.empty() && (info.form == AwardForm::cash || info.form == AwardForm::in_kind)) {
      throw Error::expected(ErrorKind::schema, "a 'payer' for a cash or in-kind award", "none", v.mark);
    }
    if (!info.payer.empty() && !r_.payer_index.count(info.payer)) {
      std::vector<std::string> names;
      for (const auto& p : r_.payers) names.push_back(p.id);
      throw Error::expected(ErrorKind::name, "a declared payer (" + join(names) + ")", "'" + info.payer + "'",
                            f.key_mark("payer"));
    }
    if (const RawValue* inferred = f.get("payer_inferred")) {
      info.payer_inferred = read_bool(*inferred, "'payer_inferred'");
      if (info.payer_inferred && info.payer.empty()) {
        throw Error::expected(ErrorKind::schema, "a 'payer' that 'payer_inferred' can describe", "none",
                              f.key_mark("payer_inferred"));
      }
    }
    CompiledRule rule;
    rule.set = set;
    if (const RawValue* rec = f.get("recurrence")) {
      if (rec->kind == RawValue::Kind::text) {
        if (rec->text == "one_time") info.recurrence.kind = Recurrence::Kind::one_time;
        else if (rec->text == "yearly") info.recurrence.kind = Recurrence::Kind::yearly;
        else {
          throw Error::expected(ErrorKind::schema, "one_time, yearly or {years: N, from: ...}",
                                "'" + rec->text + "'", rec->mark);
        }
      } else {
        Fields rf(*rec, "'recurrence'", {"years", "from"});
        info.recurrence.kind = Recurrence::Kind::years_from;
        const Decimal years = read_amount(rf.need("years"), "'years'");
        std::int64_t n = 0;
        if (!years.to_scaled_int64(0, n) || n <= 0 || n > 1000) {
          throw Error::expected(ErrorKind::schema, "a whole number of years", describe(rf.need("years")),
                                rf.key_mark("years"));
        }
        info.recurrence.years = static_cast<int>(n);
        info.recurrence.from = rf.need_text("from");
        rule.recurrence_from = expr(rf.need("from"), scope, Unit{UnitKind::year, {}}, "'from'");
      }
    }
    if (const RawValue* w = f.get("when")) {
      info.when = w->text;
      rule.when = expr(*w, scope, boolean_unit(), "'when'");
    }
    if (const RawValue* rounding = f.get("rounding")) {
      Fields rf(*rounding, "'rounding'", {"mode", "quantum"});
      if (const RawValue* m = rf.get("mode")) {
        try {
          info.rounding = parse_rounding(Fields::scalar(*m, "'mode'"));
        } catch (Error& e) {
          throw e.locate(m->mark);
        }
      }
      if (const RawValue* q = rf.get("quantum")) {
        const Decimal quantum = read_amount(*q, "'quantum'");
        const Decimal reduced = quantum.reduce();
        if (reduced.coefficient() != 1) {
          throw Error::expected(ErrorKind::schema, "a power of ten (0.01, 1, 100, ...)", describe(*q), q->mark);
        }
        info.rounding_exponent = reduced.exponent();
      }
    }
    const bool money_form = info.form == AwardForm::cash || info.form == AwardForm::in_kind;
    rule.award = compile_award(f.need("award"), scope, money_form);
    info.kind = rule.award.kind;
    info.amount_summary = rule.award.summary;
    if (rule.award.kind == AmountKind::tiers) {
      for (const auto& l : rule.award.levels) info.tiers.push_back(l.info);
      info.hit = rule.award.hit;
    }
    rule.info = r_.rules.size();
    r_.rule_index[info.qualified_id] = r_.crules.size();
    r_.csets[set].rules.push_back(r_.crules.size());
    r_.rules.push_back(std::move(info));
    r_.crules.push_back(std::move(rule));
  }

  // An amount: a literal, a parameter name or an expression, of money.
  Expression amount(const RawValue& v, const Scope& scope, const std::string& what) {
    return expr(v, scope, money_unit(), what);
  }

  /// An award written as a literal cannot be negative (-1万 is a typo, never a payment).
  static void non_negative(const Expression& e, const std::string& what) {
    const Expr* root = e.root.get();
    const bool negated = root->op == Op::neg && root->args.size() == 1 && root->args[0]->op == Op::number;
    const Expr* literal = negated ? root->args[0].get() : root;
    if (literal->op != Op::number) return;
    if (negated ? literal->number.signum() > 0 : literal->number.is_negative()) {
      throw Error::expected(ErrorKind::schema, "an award of at least 0 for " + what, "'" + e.source + "'", e.mark);
    }
  }

  CompiledAward compile_award(const RawValue& v, const Scope& scope, bool money) {
    static const std::vector<std::string> forms = {"fixed", "band", "rate", "base", "formula",
                                                   "per_item", "tiers", "unfixed", "honour"};
    Fields f(v, "an award", forms);
    std::vector<std::string> present;
    for (const auto& [k, val] : v.entries) {
      if (k != "base") present.push_back(k);
    }
    if (present.size() != 1) {
      throw Error::expected(ErrorKind::schema,
                            "exactly one award form (fixed, band, rate + base, formula, per_item, tiers, "
                            "unfixed, honour)",
                            present.empty() ? std::string("none") : join(present), v.mark);
    }
    CompiledAward a;
    const std::string& kind = present.front();
    const RawValue& body = f.need(kind);
    // 'base' belongs to 'rate' alone: beside another form it would be silently ignored.
    if (kind != "rate" && find(v, "base") != nullptr) {
      throw Error::expected(ErrorKind::schema, "'base' only beside 'rate'", "'base' beside '" + kind + "'",
                            f.key_mark("base"));
    }
    if ((kind == "fixed" || kind == "band" || kind == "rate" || kind == "formula") && !money) {
      throw Error::expected(ErrorKind::schema, "an unfixed or honour award for a non-money form",
                            "'" + kind + "'", f.key_mark(kind));
    }
    if (kind == "fixed") {
      a.kind = AmountKind::fixed;
      a.a = amount(body, scope, "'fixed'");
      non_negative(a.a, "'fixed'");
      a.summary = a.a.source;
    } else if (kind == "band") {
      Fields bf(body, "'band'", {"min", "max"});
      a.kind = AmountKind::band;
      a.a = amount(bf.need("min"), scope, "'min'");
      a.b = amount(bf.need("max"), scope, "'max'");
      non_negative(a.a, "'min'");
      non_negative(a.b, "'max'");
      a.summary = a.a.source + "–" + a.b.source;
    } else if (kind == "rate") {
      a.kind = AmountKind::rate_of_base;
      a.a = expr(body, scope, rate_unit(), "'rate'");
      a.b = amount(f.need("base"), scope, "'base'");
      a.summary = a.a.source + " × (" + a.b.source + ")";
    } else if (kind == "formula") {
      a.kind = AmountKind::formula;
      a.a = amount(body, scope, "'formula'");
      a.summary = a.a.source;
    } else if (kind == "unfixed" || kind == "honour") {
      a.kind = kind == "unfixed" ? AmountKind::unfixed : AmountKind::honour;
      a.unfixed_text = Fields::scalar(body, "'" + kind + "'");
      a.summary = kind + ": " + a.unfixed_text;
    } else if (kind == "per_item") {
      a.kind = AmountKind::per_item;
      Fields pf(body, "'per_item'", {"count", "for_each", "where", "each"});
      const bool has_count = pf.get("count") != nullptr;
      const bool has_list = pf.get("for_each") != nullptr;
      if (has_count == has_list) {
        throw Error::expected(ErrorKind::schema, "exactly one of 'count' or 'for_each'",
                              has_count ? "both" : "neither", body.mark);
      }
      if (has_count) {
        a.a = expr(pf.need("count"), scope, count_unit(), "'count'");
        if (pf.get("where")) throw Error(ErrorKind::schema, "'where' needs 'for_each'", pf.key_mark("where"));
        a.each = std::make_unique<CompiledAward>(compile_award(pf.need("each"), scope, money));
        a.summary = "(" + a.a.source + ") × " + a.each->summary;
      } else {
        const std::string list = pf.need_text("for_each");
        auto b = scope.lookup(list);
        if (!b || b->unit.kind != UnitKind::list) {
          throw Error::expected(ErrorKind::name, "the name of a list fact", "'" + list + "'", pf.key_mark("for_each"));
        }
        a.list_slot = b->slot;
        a.list_decl = b->list;
        RecordScopeWrapper inner(scope, *b->list);
        if (const RawValue* w = pf.get("where")) a.where = expr(*w, inner, boolean_unit(), "'where'");
        a.each = std::make_unique<CompiledAward>(compile_award(pf.need("each"), inner, money));
        a.summary = "each " + list + (a.where ? " where " + a.where.source : std::string()) + ": " + a.each->summary;
      }
      if (a.each->kind == AmountKind::per_item) {
        throw Error(ErrorKind::schema, "per_item awards cannot be nested", pf.key_mark("each"));
      }
    } else if (kind == "tiers") {
      compile_tiers(a, body, scope, money);
    }
    return a;
  }

  void compile_tiers(CompiledAward& a, const RawValue& body, const Scope& scope, bool money) {
    a.kind = AmountKind::tiers;
    Fields tf(body, "'tiers'", {"on", "hit", "levels"});
    a.a = expr(tf.need("on"), scope, std::nullopt, "'on'");
    const Unit on_unit = a.a.root->unit;
    if (!on_unit.numeric()) {
      throw Error::expected(ErrorKind::unit, "a number to place in tiers", on_unit.to_string(), tf.key_mark("on"));
    }
    const std::string hit = tf.text("hit", "unique");
    if (hit == "unique") a.hit = HitPolicy::unique;
    else if (hit == "highest") a.hit = HitPolicy::highest;
    else if (hit == "first") a.hit = HitPolicy::first;
    else if (hit == "sum") a.hit = HitPolicy::sum;
    else {
      throw Error::expected(ErrorKind::schema, "hit unique, highest, first or sum", "'" + hit + "'",
                            tf.key_mark("hit"));
    }
    static const std::vector<std::pair<std::string, std::pair<bool, bool>>> words = {
        // word → (is lower bound, inclusive)
        {"以上", {true, true}},     {"不低于", {true, true}},  {"不少于", {true, true}},
        {"超过", {true, false}},    {">=", {true, true}},      {">", {true, false}},
        {"at_least", {true, true}}, {"more_than", {true, false}},
        {"以下", {false, true}},    {"以内", {false, true}},   {"不满", {false, false}},
        {"低于", {false, false}},   {"少于", {false, false}},  {"<=", {false, true}},
        {"<", {false, false}},      {"at_most", {false, true}}, {"less_than", {false, false}}};
    std::vector<std::string> level_keys = {"label", "award"};
    for (const auto& w : words) level_keys.push_back(w.first);
    std::vector<Mark> level_marks;
    each_item(tf.need("levels"), "'levels'", [&](const RawValue& lv) {
      Fields lf(lv, "a tier level", level_keys);
      CompiledAward::Level level;
      level.info.label = lf.text("label");
      for (const auto& [word, spec] : words) {
        const RawValue* bound = lf.get(word);
        if (!bound) continue;
        const bool lower = spec.first;
        if ((lower && level.lower) || (!lower && level.upper)) {
          throw Error::expected(ErrorKind::tiers, std::string("one ") + (lower ? "lower" : "upper") + " bound",
                                "two", lf.key_mark(word));
        }
        Expression e = expr(*bound, scope, on_unit.kind == UnitKind::number ? std::nullopt : std::optional<Unit>(on_unit), "'" + word + "'");
        const Decimal value = constant(e, lf.key_mark(word));
        if (lower) {
          level.lower = std::move(e);
          level.info.lower = value;
          level.info.lower_inclusive = spec.second;
          level.info.lower_word = word;
        } else {
          level.upper = std::move(e);
          level.info.upper = value;
          level.info.upper_inclusive = spec.second;
          level.info.upper_word = word;
        }
      }
      if (!level.lower && !level.upper) {
        throw Error::expected(ErrorKind::tiers, "a bound written with the text's word (以上, 超过, 不满, 以下, ...)",
                              "none", lv.mark);
      }
      if (level.info.label.empty()) level.info.label = describe_level(level.info);
      level.award = std::make_unique<CompiledAward>(compile_award(lf.need("award"), scope, money));
      level_marks.push_back(lv.mark);
      a.levels.push_back(std::move(level));
    });
    if (a.levels.empty()) throw Error::expected(ErrorKind::tiers, "at least one level", "none", body.mark);
    check_tiers(a, level_marks);
    std::string summary = "tiers on " + a.a.source + " (" + hit + "):";
    for (const auto& l : a.levels) summary += " [" + l.info.label + "] " + l.award->summary + ";";
    summary.pop_back();
    a.summary = summary;
  }

  static std::string describe_level(const TierInfo& t) {
    std::string s;
    if (t.lower) s += t.lower_word + " " + t.lower->to_string();
    if (t.upper) s += (s.empty() ? "" : ", ") + t.upper_word + " " + t.upper->to_string();
    return s;
  }

  // Bounds of tiers are literals or parameters; the check uses the latest version of a parameter.
  Decimal constant(const Expression& e, const Mark& mark) {
    const Expr& root = *e.root;
    if (root.op == Op::number) return root.number;
    if (root.op == Op::name && root.ref == RefKind::parameter) return r_.parameters[root.slot].versions.back().value;
    throw Error::expected(ErrorKind::tiers, "a tier bound that is a number or a parameter", "'" + e.source + "'",
                          mark);
  }

  static bool contains(const TierInfo& t, const Decimal& v) {
    if (t.lower && (t.lower_inclusive ? v < *t.lower : v <= *t.lower)) return false;
    if (t.upper && (t.upper_inclusive ? v > *t.upper : v >= *t.upper)) return false;
    return true;
  }

  // A value inside both levels, if there is one (used to report overlaps with a concrete figure).
  static std::optional<Decimal> common_value(const TierInfo& a, const TierInfo& b) {
    std::optional<Decimal> lo;
    bool lo_inc = true;
    auto tighten_lo = [&](const TierInfo& t) {
      if (!t.lower) return;
      if (!lo || *t.lower > *lo || (*t.lower == *lo && !t.lower_inclusive)) {
        lo = *t.lower;
        lo_inc = t.lower_inclusive;
      }
    };
    std::optional<Decimal> hi;
    bool hi_inc = true;
    auto tighten_hi = [&](const TierInfo& t) {
      if (!t.upper) return;
      if (!hi || *t.upper < *hi || (*t.upper == *hi && !t.upper_inclusive)) {
        hi = *t.upper;
        hi_inc = t.upper_inclusive;
      }
    };
    tighten_lo(a);
    tighten_lo(b);
    tighten_hi(a);
    tighten_hi(b);
    std::optional<Decimal> v;
    if (lo && hi) {
      if (*lo < *hi) v = lo_inc ? *lo : midpoint(*lo, *hi);
      else if (*lo == *hi && lo_inc && hi_inc) v = *lo;
    } else if (lo) {
      v = lo_inc ? *lo : *lo + Decimal(1);
    } else if (hi) {
      v = hi_inc ? *hi : *hi - Decimal(1);
    } else {
      v = Decimal(0);
    }
    if (v && contains(a, *v) && contains(b, *v)) return v;
    return std::nullopt;
  }

  static Decimal midpoint(const Decimal& a, const Decimal& b) {
    const std::int32_t e = std::min(a.exponent(), b.exponent()) - 1;
    return Decimal::divide(a + b, Decimal(2), e, Rounding::half_even).reduce();
  }

  void check_tiers(const CompiledAward& a, const std::vector<Mark>& marks) {
    const auto& L = a.levels;
    if (a.hit == HitPolicy::highest) {
      for (std::size_t i = 1; i < L.size(); ++i) {
        const auto& p = L[i - 1].info;
        const auto& c = L[i].info;
        if (!p.lower || !c.lower || !(*p.lower < *c.lower)) {
          throw Error::expected(ErrorKind::tiers,
                                "thresholds in increasing order with lower bounds (hit: highest)",
                                "level '" + c.label + "' not above '" + p.label + "'", marks[i]);
        }
      }
      return;
    }
    if (a.hit != HitPolicy::unique) return;
    // Overlaps: any two levels whose intersection holds a value.
    for (std::size_t i = 0; i < L.size(); ++i) {
      for (std::size_t j = i + 1; j < L.size(); ++j) {
        if (auto both = common_value(L[i].info, L[j].info)) {
          throw Error(ErrorKind::tiers,
                      "tiers '" + L[i].info.label + "' and '" + L[j].info.label + "' overlap: " + both->to_string() +
                          " falls in both (hit: unique)",
                      marks[j]);
        }
      }
    }
    // Gaps: sorted by lower bound, each level must start where the levels before it reach.
    std::vector<std::size_t> order(L.size());
    for (std::size_t i = 0; i < L.size(); ++i) order[i] = i;
    std::stable_sort(order.begin(), order.end(), [&](std::size_t x, std::size_t y) {
      const auto& p = L[x].info;
      const auto& q = L[y].info;
      if (!p.lower) return q.lower.has_value();
      if (!q.lower) return false;
      return *p.lower < *q.lower;
    });
    const TierInfo* reach = &L[order[0]].info;
    for (std::size_t k = 1; k < order.size(); ++k) {
      const TierInfo& B = L[order[k]].info;
      if (!reach->upper) break;  // the levels so far reach +∞
      std::optional<Decimal> none;
      if (B.lower && *reach->upper < *B.lower) {
        none = reach->upper_inclusive ? midpoint(*reach->upper, *B.lower) : *reach->upper;
      } else if (B.lower && *reach->upper == *B.lower && !reach->upper_inclusive && !B.lower_inclusive) {
        none = *reach->upper;
      }
      if (none) {
        throw Error(ErrorKind::tiers,
                    "tiers '" + reach->label + "' and '" + B.label + "' leave a gap: " + none->to_string() +
                        " falls in none (hit: unique)",
                    marks[order[k]]);
      }
      if (!B.upper || *B.upper > *reach->upper || (*B.upper == *reach->upper && B.upper_inclusive)) reach = &B;
    }
  }

  void compile_budget(std::size_t set, const RawValue& v) {
    Fields f(v, "a budget line", {"id", "citation", "payer", "per", "amount", "band", "items", "covers", "notes"});
    BudgetLine b;
    b.policy_set = r_.sets[set].id;
    b.id = f.need_text("id");
    b.citation = read_citation(f, b.policy_set);
    b.payer = f.need_text("payer");
    if (!r_.payer_index.count(b.payer)) {
      throw Error::expected(ErrorKind::name, "a declared payer", "'" + b.payer + "'", f.key_mark("payer"));
    }
    b.per = f.text("per", "year");
    if (b.per != "year" && b.per != "one_time") {
      throw Error::expected(ErrorKind::schema, "per: year or one_time", "'" + b.per + "'", f.key_mark("per"));
    }
    const RawValue* amount_v = f.get("amount");
    const RawValue* band_v = f.get("band");
    if ((amount_v != nullptr) == (band_v != nullptr)) {
      throw Error::expected(ErrorKind::schema, "exactly one of 'amount' or 'band'", amount_v ? "both" : "neither",
                            v.mark);
    }
    if (amount_v) {
      b.min = read_amount(*amount_v, "'amount'");
      b.max = b.min;
    } else {
      Fields bf(*band_v, "'band'", {"min", "max"});
      b.min = read_amount(bf.need("min"), "'min'");
      if (const RawValue* mx = bf.get("max")) b.max = read_amount(*mx, "'max'");
      if (b.max && *b.max < b.min) {
        throw Error::expected(ErrorKind::schema, "max ≥ min", b.max->to_string(), bf.key_mark("max"));
      }
    }
    if (const RawValue* items = f.get("items")) {
      Decimal total;
      each_item(*items, "'items'", [&](const RawValue& item) {
        Fields itf(item, "a budget item", {"label", "amount"});
        BudgetItem bi{itf.need_text("label"), read_amount(itf.need("amount"), "'amount'")};
        total += bi.amount;
        b.items.push_back(std::move(bi));
      });
      if (!b.max || total != b.min || total != *b.max) {
        throw Error::expected(ErrorKind::schema,
                              "items that sum to the budget line's amount " + b.min.to_string(),
                              "a sum of " + total.to_string(), f.key_mark("items"));
      }
    }
    if (const RawValue* covers = f.get("covers")) {
      for (std::size_t i : rule_refs(*covers, b.policy_set)) b.covers.push_back(r_.rules[r_.crules[i].info].qualified_id);
    }
    r_.budget.push_back(std::move(b));
  }

  void check_groups() {
    for (std::size_t g = 0; g < r_.groups.size(); ++g) {
      const GroupInfo& group = r_.groups[g];
      if (std::find(group.members.begin(), group.members.end(), group.default_member) == group.members.end()) {
        throw Error::expected(ErrorKind::name,
                              "a default that is a member of group '" + group.id + "' (" + join(group.members) + ")",
                              "'" + group.default_member + "'", group_marks_[g]);
      }
    }
  }

  void check_cycles() {
    // Depth-first search over the derived values' dependencies; a back edge is a cycle. Every
    // cycle found is reported (one error each), not only the first.
    std::vector<int> state(r_.derived.size(), 0);
    std::vector<std::size_t> path;
    std::function<void(std::size_t)> visit = [&](std::size_t k) {
      state[k] = 1;
      path.push_back(k);
      for (std::size_t next : r_.derived[k].uses) {
        if (state[next] == 1) {
          std::string cycle;
          auto start = std::find(path.begin(), path.end(), next);
          for (auto it = start; it != path.end(); ++it) cycle += r_.derived[*it].name + " → ";
          cycle += r_.derived[next].name;
          errors_.emplace_back(ErrorKind::cycle, "derived values depend on themselves: " + cycle,
                               r_.derived[next].expr.mark);
          continue;
        }
        if (state[next] == 0) visit(next);
      }
      path.pop_back();
      state[k] = 2;
    };
    for (std::size_t k = 0; k < r_.derived.size(); ++k) {
      if (state[k] == 0) visit(k);
    }
  }

  void fingerprint() {
    std::vector<std::pair<std::string, std::string>> sorted;
    for (const auto& [name, text] : r_.sources) {
      sorted.emplace_back(std::filesystem::path(name).filename().string(), text);
    }
    std::sort(sorted.begin(), sorted.end());
    Sha256 h;
    for (const auto& [name, text] : sorted) {
      h.update(name).update(std::string(1, '\0')).update(std::to_string(text.size())).update(std::string(1, '\0'));
      h.update(text);
    }
    r_.fingerprint = h.hex();
  }

  CompiledRules& r_;
  std::vector<Doc> docs_;
  std::vector<Error> errors_;
  std::vector<const RawValue*> derived_sources_;
  std::vector<Mark> group_marks_;
};

std::vector<std::string> rule_files(const std::string& path) {
  namespace fs = std::filesystem;
  std::error_code ec;
  if (fs::is_directory(path, ec)) {
    std::vector<std::string> out;
    for (const auto& entry : fs::directory_iterator(path, ec)) {
      // Any case: a file saved as P.YAML on another system is a rule file, not one to skip.
      std::string ext = entry.path().extension().string();
      for (char& ch : ext) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
      if (entry.is_regular_file() && (ext == ".yaml" || ext == ".yml")) out.push_back(entry.path().string());
    }
    std::sort(out.begin(), out.end());
    return out;
  }
  if (!fs::exists(path, ec)) throw Error(ErrorKind::io, "no such file or directory", Mark{path, 0, 0, {}});
  return {path};
}

}  // namespace
}  // namespace detail

RuleSet RuleSet::load(const std::vector<std::string>& paths) {
  std::vector<std::pair<std::string, std::string>> sources;
  for (const auto& p : paths) {
    for (const auto& file : detail::rule_files(p)) sources.emplace_back(file, detail::read_file(file));
  }
  if (sources.empty()) throw Error(ErrorKind::io, "no rule files (*.yaml) found");
  return load_texts(sources);
}

RuleSet RuleSet::load_texts(const std::vector<std::pair<std::string, std::string>>& sources) {
  auto compiled = std::make_shared<detail::CompiledRules>();
  detail::Loader loader(*compiled);
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
const std::vector<std::pair<std::string, std::string>>& RuleSet::sources() const { return impl_->sources; }
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
