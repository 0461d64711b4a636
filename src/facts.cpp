// Typing enterprise records against the rule set's fact declarations.
#include <algorithm>
#include <cctype>
#include <filesystem>
#include <map>
#include <set>

#include "compiled.hpp"
#include "document.hpp"
#include "subsidy/evaluate.hpp"

namespace subsidy {
namespace detail {
namespace {

Mark field_mark(const RawValue& v, const std::string& field) {
  Mark m = v.mark;
  if (m.field.empty()) m.field = field;
  return m;
}

std::string quoted(const RawValue& v) { return describe(v); }

Decimal number_of(const RawValue& v, const std::string& field, AmountUnit* unit) {
  if (v.kind != RawValue::Kind::text) {
    throw Error::expected(ErrorKind::fact, "a number for '" + field + "'", describe(v),
                          field_mark(v, field));
  }
  try {
    Amount a = Decimal::parse_amount(v.text);
    if (unit) *unit = a.unit;
    return a.value;
  } catch (Error& e) {
    Error located(ErrorKind::fact, "'" + field + "': " + e.message(), field_mark(v, field));
    throw located;
  }
}

bool whole(const Decimal& d) { return d.reduce().exponent() >= 0 || d.is_zero(); }

}  // namespace

Scalar parse_scalar(const FactDecl& decl, const RawValue& v) {
  const std::string& field = decl.name;
  if (v.kind != RawValue::Kind::text) {
    throw Error::expected(ErrorKind::fact, decl.unit.to_string() + " for '" + field + "'",
                          describe(v), field_mark(v, field));
  }
  const std::string& t = v.text;
  auto wrong = [&](const std::string& expected) -> Error {
    return Error::expected(ErrorKind::fact, expected + " for '" + field + "'", quoted(v),
                           field_mark(v, field));
  };
  switch (decl.unit.kind) {
    case UnitKind::money:
    case UnitKind::rate:
    case UnitKind::number:
    case UnitKind::count:
    case UnitKind::year:
    case UnitKind::measure: {
      RawValue text = v;
      if (decl.unit.kind == UnitKind::measure && t.size() > decl.unit.measure.size() &&
          t.compare(t.size() - decl.unit.measure.size(), decl.unit.measure.size(),
                    decl.unit.measure) == 0) {
        text.text = t.substr(0, t.size() - decl.unit.measure.size());
      }
      AmountUnit unit = AmountUnit::number;
      Decimal d = number_of(text, field, &unit);
      if (decl.unit.kind == UnitKind::money && unit == AmountUnit::rate) throw wrong("money (元)");
      if (decl.unit.kind == UnitKind::rate && unit == AmountUnit::yuan)
        throw wrong("a rate (e.g. 50%)");
      if (decl.unit.kind != UnitKind::money && decl.unit.kind != UnitKind::rate &&
          unit != AmountUnit::number) {
        throw wrong(decl.unit.to_string());
      }
      if ((decl.unit.kind == UnitKind::count || decl.unit.kind == UnitKind::year) && !whole(d)) {
        throw wrong("a whole number");
      }
      if (d.is_negative() && !decl.allow_negative) throw wrong("an amount of at least 0");
      return d;
    }
    case UnitKind::boolean:
      if (t == "true" || t == "yes" || t == "是" || t == "True" || t == "TRUE") return true;
      if (t == "false" || t == "no" || t == "否" || t == "False" || t == "FALSE") return false;
      throw wrong("true or false (是/否)");
    case UnitKind::enumeration: {
      if (std::find(decl.values.begin(), decl.values.end(), t) != decl.values.end()) return t;
      std::string list;
      for (const auto& x : decl.values) list += (list.empty() ? "" : ", ") + x;
      throw wrong("one of " + list);
    }
    case UnitKind::date:
      try {
        return Date::parse(t);
      } catch (const Error&) {
        throw wrong("a date YYYY-MM-DD");
      }
    case UnitKind::text:
      return t;
    case UnitKind::list:
      break;
  }
  throw wrong("a scalar");
}

FactValue parse_fact(const FactDecl& decl, const RawValue& v) {
  if (decl.unit.kind != UnitKind::list) return parse_scalar(decl, v);
  if (v.kind != RawValue::Kind::list) {
    throw Error::expected(ErrorKind::fact, "a list of records for '" + decl.name + "'", describe(v),
                          field_mark(v, decl.name));
  }
  std::vector<Record> records;
  for (const auto& item : v.items) {
    if (item.kind != RawValue::Kind::map) {
      throw Error::expected(ErrorKind::fact, "a record (a map) in '" + decl.name + "'",
                            describe(item), field_mark(item, decl.name));
    }
    Record r(decl.fields.size());
    for (const auto& [k, fv] : item.entries) {
      const std::string& key = k;  // a structured binding cannot be captured (C++17, clang)
      auto it = std::find_if(decl.fields.begin(), decl.fields.end(),
                             [&](const FactDecl& f) { return f.name == key; });
      if (it == decl.fields.end()) {
        std::string list;
        for (const auto& f : decl.fields) list += (list.empty() ? "" : ", ") + f.name;
        throw Error::expected(ErrorKind::fact, "a field of '" + decl.name + "' (" + list + ")",
                              "'" + k + "'", field_mark(fv, k));
      }
      if (fv.kind == RawValue::Kind::null) continue;
      r[static_cast<std::size_t>(it - decl.fields.begin())] = parse_scalar(*it, fv);
    }
    for (std::size_t k = 0; k < decl.fields.size(); ++k) {
      if (!r[k] && decl.fields[k].default_value)
        r[k] = parse_scalar(decl.fields[k], *decl.fields[k].default_value);
    }
    records.push_back(std::move(r));
  }
  return records;
}

}  // namespace detail

Enterprise make_enterprise(const RuleSet& rules, const RawValue& record) {
  using detail::describe;
  const auto& c = detail::compiled(rules);
  if (record.kind != RawValue::Kind::map) {
    throw Error::expected(ErrorKind::fact, "an enterprise record (a map of facts)",
                          describe(record), record.mark);
  }
  Enterprise e;
  e.mark = record.mark;
  e.rules_fingerprint = rules.fingerprint();
  e.facts.resize(c.facts.size());
  bool has_id = false;
  for (const auto& [key, v] : record.entries) {
    if (v.kind == RawValue::Kind::null) continue;
    if (key == "id" || key == "name") {
      if (v.kind != RawValue::Kind::text || v.text.empty()) {
        throw Error::expected(ErrorKind::fact, "text for '" + key + "'", describe(v),
                              detail::field_mark(v, key));
      }
      if (key == "id") detail::check_id(v.text, ErrorKind::fact, detail::field_mark(v, key));
      (key == "id" ? e.id : e.name) = v.text;
      has_id = has_id || key == "id";
      continue;
    }
    if (key == "year") {
      FactDecl year{"year", Unit{UnitKind::year, {}}, {}, false, false, {}, {}, std::nullopt};
      std::int64_t y = 0;
      const Decimal d = std::get<Decimal>(detail::parse_scalar(year, v));
      if (!d.to_scaled_int64(0, y)) {
        throw Error::expected(ErrorKind::fact, "a year", describe(v), detail::field_mark(v, key));
      }
      e.year = y;
      continue;
    }
    if (key == "decided") {
      if (v.kind != RawValue::Kind::map) {
        throw Error::expected(ErrorKind::fact, "a map of policy-set/rule-id to decided amount",
                              describe(v), detail::field_mark(v, key));
      }
      for (const auto& [rule, amount] : v.entries) {
        if (!rules.find_rule(rule)) {
          throw Error::expected(ErrorKind::fact, "a rule id written policy-set/rule-id",
                                "'" + rule + "'", detail::field_mark(amount, "decided"));
        }
        FactDecl money{rule, Unit{UnitKind::money, {}}, {}, false, false, {}, {}, std::nullopt};
        e.decided[rule] = std::get<Decimal>(detail::parse_scalar(money, amount));
      }
      continue;
    }
    auto slot = rules.fact_slot(key);
    if (!slot) {
      std::string hint;
      std::size_t best = 3;
      for (const auto& f : c.facts) {
        std::size_t common = 0;
        const std::size_t n = std::min(f.name.size(), key.size());
        while (common < n && f.name[common] == key[common]) ++common;
        const std::size_t diff = std::max(f.name.size(), key.size()) - common;
        if (diff < best) {
          best = diff;
          hint = " (did you mean '" + f.name + "'?)";
        }
      }
      throw Error::expected(ErrorKind::fact, "a declared fact" + hint, "'" + key + "'",
                            detail::field_mark(v, key));
    }
    e.facts[*slot] = detail::parse_fact(c.facts[*slot], v);
  }
  if (!has_id) {
    throw Error::expected(ErrorKind::fact, "an 'id' for the enterprise record", "none",
                          record.mark);
  }
  for (std::size_t k = 0; k < c.facts.size(); ++k) {
    if (c.facts[k].required && !e.facts[k]) {
      Mark m = record.mark;
      m.field = c.facts[k].name;
      throw Error::expected(
          ErrorKind::fact,
          "the required fact '" + c.facts[k].name + "' (" + c.facts[k].label.zh + ")",
          "none in the record of '" + e.id + "'", m);
    }
  }
  return e;
}

namespace detail {

// Each record keeps a slot for every fact the rules declare: the memory of a population is its
// records times the declared facts, bounded so that any population within it fits in 1 GiB.
void within_population_limit(std::size_t facts, std::size_t records, const Mark& mark) {
  const std::size_t slots = std::max<std::size_t>(facts, 1);
  const std::size_t most =
      std::min(detail::Limits::max_records, detail::Limits::max_record_slots / slots);
  if (records < most) return;
  throw Error::expected(ErrorKind::limit,
                        "at most " + std::to_string(most) + " enterprise records (" +
                            std::to_string(detail::Limits::max_record_slots) +
                            " facts in all, and these rules declare " + std::to_string(facts) +
                            " per record)",
                        "more", mark);
}

}  // namespace detail

std::vector<Enterprise> parse_enterprises(const RuleSet& rules, const std::string& name,
                                          const std::string& text) {
  std::string ext = std::filesystem::path(name).extension().string();
  for (char& ch : ext) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  std::vector<Enterprise> out;
  if (ext == ".csv") {  // typed row by row as the rows are read: never the whole file as a tree
    detail::for_each_csv_record(name, text, [&](RawValue&& record) {
      detail::within_population_limit(rules.facts().size(), out.size(), record.mark);
      out.push_back(make_enterprise(rules, record));
    });
    check_population(out);
    return out;
  }
  RawValue root = detail::parse_yaml(name, text);
  RawValue* list = &root;
  if (root.kind == RawValue::Kind::map) {
    if (detail::find(root, "enterprises") != nullptr) {
      for (auto& [k, v] : root.entries) {
        if (k != "enterprises") {
          throw Error::expected(ErrorKind::schema, "only 'enterprises' at the top", "'" + k + "'",
                                v.mark);
        }
        list = &v;  // the one entry: root is ours, its records are consumed below
      }
    } else {
      return {make_enterprise(rules, root)};
    }
  }
  if (list->kind != RawValue::Kind::list) {
    throw Error::expected(ErrorKind::schema, "a list of enterprise records",
                          detail::describe(*list), list->mark);
  }
  out.reserve(list->items.size());
  for (auto& item : list->items) {
    detail::within_population_limit(rules.facts().size(), out.size(), item.mark);
    out.push_back(make_enterprise(rules, item));
    item = RawValue();  // each record's text freed once typed: never the whole file twice
  }
  check_population(out);
  return out;
}

void check_population(const std::vector<Enterprise>& enterprises) {
  if (!enterprises.empty()) {  // every record has a slot per declared fact: the first says how many
    const std::size_t slots = enterprises.front().facts.size();
    const std::size_t most =
        std::min(detail::Limits::max_records,
                 detail::Limits::max_record_slots / std::max<std::size_t>(slots, 1));
    if (enterprises.size() > most)
      detail::within_population_limit(slots, most, enterprises[most].mark);
  }
  std::map<std::pair<std::string, std::int64_t>, std::size_t> seen;  // (id, year or -1) → index
  for (std::size_t i = 0; i < enterprises.size(); ++i) {
    const Enterprise& e = enterprises[i];
    const auto [first, inserted] = seen.emplace(std::make_pair(e.id, e.year.value_or(-1)), i);
    if (inserted) continue;
    const Mark& at = enterprises[first->second].mark;
    std::string where;
    if (at.line > 0) {
      where = at.file == e.mark.file
                  ? " (first at line " + std::to_string(at.line) + ")"
                  : " (first in " + std::filesystem::path(at.file).filename().string() + ", line " +
                        std::to_string(at.line) + ")";
    }
    throw Error(ErrorKind::fact,
                "enterprise '" + e.id + "' appears twice for the same year" + where, e.mark);
  }
}

std::vector<Enterprise> load_enterprises(const RuleSet& rules, const std::string& path) {
  return parse_enterprises(rules, path, detail::read_file(path));
}

}  // namespace subsidy
