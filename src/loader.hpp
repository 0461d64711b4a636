// The rule-file loader: one class whose passes (run() calls them in order) are split over
// rules.cpp (the driver), rules_schema.cpp (reading YAML maps, declarations), rules_compile.cpp
// (rules, awards, budgets) and rules_check.cpp (tier gaps and overlaps, groups, cycles).
#pragma once

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <functional>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "compiled.hpp"
#include "document.hpp"

namespace subsidy::detail::load {

// ---- reading maps with unknown-key detection (rules_schema.cpp) ---------------------------------

std::size_t edit_distance(const std::string& a, const std::string& b);
std::string suggestion(const std::string& key, const std::vector<std::string>& known);
std::string join(const std::vector<std::string>& items);

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
    if (!x)
      throw Error::expected(ErrorKind::schema, "a key '" + key + "' in " + what_, "none", v_.mark);
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

Text read_text(const RawValue& v, const std::string& what);
bool read_bool(const RawValue& v, const std::string& what);
// `in_force: {from: YYYY-MM-DD, until: YYYY-MM-DD}`, both optional, both days included.
InForce read_in_force(const RawValue& v);
Mark mark_in_scalar(const RawValue& v);
Decimal read_amount(const RawValue& v, const std::string& what, AmountUnit* unit = nullptr);
Unit read_unit(const std::string& t, const std::string& measure, const Mark& mark);
bool valid_id(const std::string& id, bool allow_upper);
bool valid_name(const std::string& id);

// ---- the loader
// ---------------------------------------------------------------------------------------

class Loader {
 public:
  explicit Loader(CompiledRules& out) : r_(out) {}

  void add_source(const std::string& name, const std::string& text);

  void run();

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

  void classify(Doc& d);

  // Payers, groups, options and facts: global names, from catalogues and policy sets alike.
  void declare_shared(Doc& d);

  static bool same_decl(const FactDecl& a, const FactDecl& b);

  FactDecl read_fact(const std::string& name, const RawValue& v, bool top);

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
      if (name == "year")
        return Binding{RefKind::fact, kYearSlot, Unit{UnitKind::year, {}}, nullptr, nullptr};
      return std::nullopt;
    }
    std::optional<std::pair<std::size_t, const OptionInfo*>> option(
        const std::string& name) const override {
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
    std::optional<std::pair<std::size_t, const OptionInfo*>> option(
        const std::string& name) const override {
      return inner.option(name);
    }
    void uses_derived(std::size_t slot) const override { inner.uses_derived(slot); }
  };

  Expression expr(const RawValue& v, const Scope& scope, std::optional<Unit> unit,
                  const std::string& what);

  // Parameters and derived names of one policy set (all of them, before any expression is
  // compiled).
  void declare_set(Doc& d);

  void bind(std::size_t set, const std::string& name, Binding b, const Mark& mark);

  Decimal param_value(const RawValue& v, const ParameterInfo& p);

  void compile_set(Doc& d);

  std::vector<std::size_t> rule_refs(const RawValue& list, const std::string& set_id);

  Citation read_citation(const Fields& owner, const std::string& set_id);

  void compile_rule(std::size_t set, const SetScope& scope, const RawValue& v);

  // An amount: a literal, a parameter name or an expression, of money.
  Expression amount(const RawValue& v, const Scope& scope, const std::string& what);

  /// An award written as a literal cannot be negative (-1万 is a typo, never a payment).
  static void non_negative(const Expression& e, const std::string& what);

  CompiledAward compile_award(const RawValue& v, const Scope& scope, bool money);

  void compile_tiers(CompiledAward& a, const RawValue& body, const Scope& scope, bool money);

  static std::string describe_level(const TierInfo& t);

  // Bounds of tiers are literals or parameters; the check uses the latest version of a parameter.
  Decimal constant(const Expression& e, const Mark& mark);

  static bool contains(const TierInfo& t, const Decimal& v);

  // A value inside both levels, if there is one (used to report overlaps with a concrete figure).
  static std::optional<Decimal> common_value(const TierInfo& a, const TierInfo& b);

  static Decimal midpoint(const Decimal& a, const Decimal& b);

  void check_tiers(const CompiledAward& a, const std::vector<Mark>& marks);

  void compile_budget(std::size_t set, const RawValue& v);

  void check_groups();

  void check_cycles();

  void fingerprint();

  CompiledRules& r_;
  std::vector<Doc> docs_;
  std::vector<Error> errors_;
  std::vector<const RawValue*> derived_sources_;
  std::vector<Mark> group_marks_;
};

}  // namespace subsidy::detail::load
