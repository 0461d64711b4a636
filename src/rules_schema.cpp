// Loading rule files, first passes: YAML maps read with unknown-key detection, files classified,
// facts, options, parameters and derived names declared (see loader.hpp).
#include "loader.hpp"

namespace subsidy::detail::load {

// ---- reading maps with unknown-key detection
// ---------------------------------------------------------

std::size_t edit_distance(const std::string& a, const std::string& b) {
  std::vector<std::size_t> prev(b.size() + 1), cur(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) prev[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    cur[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      cur[j] =
          std::min({prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1)});
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
    throw Error::expected(ErrorKind::schema,
                          "'until' on or after 'from' (" + out.from->to_string() + ")",
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

Decimal read_amount(const RawValue& v, const std::string& what, AmountUnit* unit) {
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

namespace {

const std::vector<std::string> kUnitNames = {"money",   "rate",    "count", "number",
                                             "measure", "boolean", "enum",  "date",
                                             "year",    "text",    "list"};

}  // namespace

Unit read_unit(const std::string& t, const std::string& measure, const Mark& mark) {
  static const std::pair<const char*, UnitKind> kinds[] = {
      {"money", UnitKind::money},      {"rate", UnitKind::rate},
      {"count", UnitKind::count},      {"number", UnitKind::number},
      {"measure", UnitKind::measure},  {"boolean", UnitKind::boolean},
      {"enum", UnitKind::enumeration}, {"date", UnitKind::date},
      {"year", UnitKind::year},        {"text", UnitKind::text},
      {"list", UnitKind::list}};
  for (const auto& [name, kind] : kinds) {
    if (t == name) {
      Unit u{kind, {}};
      if (kind == UnitKind::measure) {
        if (measure.empty()) {
          throw Error::expected(ErrorKind::schema, "a 'unit' for a measure (e.g. 平方米)", "none",
                                mark);
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
    const bool ok =
        (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
    if (!ok) return false;
  }
  return true;
}

void Loader::classify(Doc& d) {
  static const std::vector<std::string> catalogue_keys = {"catalogue", "payers", "groups",
                                                          "options", "facts"};
  static const std::vector<std::string> set_keys = {"policy_set", "facts", "options", "parameters",
                                                    "derived",    "rules", "budget",  "checks",
                                                    "exclusions", "caps",  "payers"};
  const RawValue& root = d.root;
  if (root.kind != RawValue::Kind::map) {
    throw Error::expected(ErrorKind::schema, "a map with 'policy_set' or 'catalogue' at the top",
                          describe(root), root.mark);
  }
  const bool is_set = find(root, "policy_set") != nullptr;
  const bool is_cat = find(root, "catalogue") != nullptr;
  if (is_set == is_cat) {
    throw Error::expected(ErrorKind::schema,
                          "exactly one of 'policy_set' or 'catalogue' at the top",
                          is_set ? "both" : "neither", Mark{d.name, 1, 1, {}});
  }
  Fields f(root, is_set ? "a policy set file" : "a catalogue file",
           is_set ? set_keys : catalogue_keys);
  if (is_cat) {
    Fields c(f.need("catalogue"), "'catalogue'", {"id", "title", "notes"});
    c.need_text("id");
    return;
  }
  Fields p(f.need("policy_set"), "'policy_set'",
           {"id", "title", "issuer", "document_number", "date", "date_as_written", "status",
            "in_force", "source", "applies_to", "group", "notes"});
  PolicySetInfo info;
  info.id = p.need_text("id");
  if (!valid_id(info.id, false)) {
    throw Error::expected(ErrorKind::schema, "a policy set id of a-z, 0-9 and '-'",
                          "'" + info.id + "'", p.key_mark("id"));
  }
  if (r_.set_index.count(info.id)) {
    throw Error(ErrorKind::name, "policy set '" + info.id + "' is declared twice",
                p.key_mark("id"));
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
  if (status == "in_force")
    info.status = PolicyStatus::in_force;
  else if (status == "draft")
    info.status = PolicyStatus::draft;
  else if (status == "proposal")
    info.status = PolicyStatus::proposal;
  else {
    throw Error::expected(ErrorKind::schema, "status in_force, draft or proposal",
                          "'" + status + "'", p.key_mark("status"));
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
void Loader::declare_shared(Doc& d) {
  const RawValue& root = d.root;
  if (const RawValue* payers = find(root, "payers");
      payers && payers->kind != RawValue::Kind::null) {
    each_entry(*payers, "'payers'", [&](const std::string& id, const RawValue& v) {
      Payer p;
      p.id = id;
      if (v.kind != RawValue::Kind::null) {
        Fields f(v, "payer '" + id + "'", {"en", "zh", "level"});
        p.en = f.text("en");
        p.level = f.text("level", "other");
        static const std::vector<std::string> levels = {"city",        "province", "national",
                                                        "beneficiary", "union",    "other"};
        if (std::find(levels.begin(), levels.end(), p.level) == levels.end()) {
          throw Error::expected(ErrorKind::schema, "a level among " + join(levels),
                                "'" + p.level + "'", f.key_mark("level"));
        }
      }
      if (r_.payer_index.count(id)) {
        throw Error(ErrorKind::name, "payer '" + id + "' is declared twice", v.mark);
      }
      r_.payer_index[id] = r_.payers.size();
      r_.payers.push_back(std::move(p));
    });
  }
  if (const RawValue* groups = find(root, "groups");
      groups && groups->kind != RawValue::Kind::null) {
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
  if (const RawValue* options = find(root, "options");
      options && options->kind != RawValue::Kind::null) {
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
        o.choices.emplace_back(c,
                               cv.kind == RawValue::Kind::null ? Text{} : read_text(cv, "choice"));
      });
      o.default_choice = f.need_text("default");
      o.see = f.text("see");
      const bool known = std::any_of(o.choices.begin(), o.choices.end(),
                                     [&](const auto& c) { return c.first == o.default_choice; });
      if (!known) {
        std::vector<std::string> names;
        for (const auto& c : o.choices) names.push_back(c.first);
        throw Error::expected(ErrorKind::option,
                              "a default among the choices (" + join(names) + ")",
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
      if (decl.default_value)
        parse_fact(decl, *decl.default_value);  // a bad default fails here, located
      static const std::set<std::string> reserved = {"id", "name", "year", "decided"};
      if (reserved.count(name)) {
        throw Error(ErrorKind::name,
                    "'" + name + "' is a reserved field of every enterprise record", v.mark);
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

bool Loader::same_decl(const FactDecl& a, const FactDecl& b) {
  const auto default_text = [](const FactDecl& d) {
    return d.default_value
               ? describe(*d.default_value) + "#" + std::to_string(d.default_value->items.size())
               : std::string("none");
  };
  if (a.unit != b.unit || a.values != b.values || a.required != b.required ||
      a.allow_negative != b.allow_negative || a.fields.size() != b.fields.size() ||
      default_text(a) != default_text(b) || a.label.zh != b.label.zh || a.label.en != b.label.en) {
    return false;
  }
  for (std::size_t i = 0; i < a.fields.size(); ++i) {
    if (a.fields[i].name != b.fields[i].name || !same_decl(a.fields[i], b.fields[i])) return false;
  }
  return true;
}

FactDecl Loader::read_fact(const std::string& name, const RawValue& v, bool top) {
  if (!valid_name(name)) {
    throw Error::expected(ErrorKind::schema, "a fact name of letters, digits and '_'",
                          "'" + name + "'", v.mark);
  }
  std::vector<std::string> keys = {"type",     "unit",    "values", "label",
                                   "required", "default", "notes",  "allow_negative"};
  if (top) keys.push_back("fields");
  Fields f(v, "fact '" + name + "'", keys);
  FactDecl d;
  d.name = name;
  d.unit = read_unit(f.need_text("type"), f.text("unit"), f.key_mark("type"));
  if (d.unit.kind == UnitKind::list && !top) {
    throw Error::expected(ErrorKind::schema, "a scalar type for a list field", "list",
                          f.key_mark("type"));
  }
  if (const RawValue* l = f.get("label")) d.label = read_text(*l, "'label'");
  if (const RawValue* req = f.get("required")) d.required = read_bool(*req, "'required'");
  if (const RawValue* neg = f.get("allow_negative"))
    d.allow_negative = read_bool(*neg, "'allow_negative'");
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

Expression Loader::expr(const RawValue& v, const Scope& scope, std::optional<Unit> unit,
                        const std::string& what) {
  const std::string text = Fields::scalar(v, what);
  if (text.empty())
    throw Error::expected(ErrorKind::schema, what + " as an expression", "an empty value", v.mark);
  Expression e = parse_expression(text, mark_in_scalar(v));
  check_expression(e, scope, unit);
  return e;
}

// Parameters and derived names of one policy set (all of them, before any expression is compiled).
void Loader::declare_set(Doc& d) {
  const std::size_t set = *d.set;
  const std::string& set_id = r_.sets[set].id;
  if (const RawValue* params = find(d.root, "parameters");
      params && params->kind != RawValue::Kind::null) {
    each_entry(*params, "'parameters'", [&](const std::string& name, const RawValue& v) {
      Fields f(v, "parameter '" + name + "'",
               {"unit", "measure", "label", "value", "versions", "reference", "in_force", "notes"});
      ParameterInfo p;
      p.policy_set = set_id;
      p.name = name;
      p.qualified_name = set_id + "." + name;
      p.unit = read_unit(f.need_text("unit"), f.text("measure"), f.key_mark("unit"));
      if (!p.unit.numeric()) {
        throw Error::expected(ErrorKind::schema,
                              "a numeric unit (money, rate, count, number, measure)",
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
          throw Error::expected(ErrorKind::parameter, "at least one version", "none",
                                versions->mark);
        }
      }
      bind(set, name, Binding{RefKind::parameter, r_.parameters.size(), p.unit, nullptr, nullptr},
           v.mark);
      r_.parameters.push_back(std::move(p));
    });
  }
  if (const RawValue* derived = find(d.root, "derived");
      derived && derived->kind != RawValue::Kind::null) {
    each_entry(*derived, "'derived'", [&](const std::string& name, const RawValue& v) {
      Fields f(v, "derived value '" + name + "'", {"unit", "measure", "label", "expr", "notes"});
      CompiledDerived cd;
      cd.set = set;
      cd.name = name;
      cd.unit = read_unit(f.need_text("unit"), f.text("measure"), f.key_mark("unit"));
      if (const RawValue* l = f.get("label")) cd.label = read_text(*l, "'label'");
      f.need("expr");
      bind(set, name, Binding{RefKind::derived, r_.derived.size(), cd.unit, nullptr, nullptr},
           v.mark);
      derived_sources_.push_back(&v);
      r_.derived.push_back(std::move(cd));
    });
  }
}

void Loader::bind(std::size_t set, const std::string& name, Binding b, const Mark& mark) {
  if (!valid_name(name)) {
    throw Error::expected(ErrorKind::schema, "a name of letters, digits and '_'", "'" + name + "'",
                          mark);
  }
  if (r_.fact_index.count(name) || name == "year") {
    throw Error(ErrorKind::name, "'" + name + "' is already the name of a fact", mark);
  }
  if (!r_.names.emplace(std::make_pair(set, name), b).second) {
    throw Error(ErrorKind::name, "'" + name + "' is declared twice in this policy set", mark);
  }
}

Decimal Loader::param_value(const RawValue& v, const ParameterInfo& p) {
  Amount amount;
  amount.value = read_amount(v, "a parameter value", &amount.unit);
  check_parameter_value(p, amount, v.text, v.mark);
  return amount.value;
}

}  // namespace subsidy::detail::load
