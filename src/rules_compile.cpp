// Loading rule files, compile pass: rules, citations, awards, tiers and budget lines of a policy
// set become CompiledRules (see loader.hpp).
#include "loader.hpp"

namespace subsidy::detail::load {

void Loader::compile_set(Doc& d) {
  const std::size_t set = *d.set;
  CompiledSet& cs = r_.csets[set];
  PolicySetInfo& info = r_.sets[set];
  SetScope scope(r_, set);
  const RawValue& header = *find(d.root, "policy_set");
  if (!info.applies_to.empty()) {
    attempt([&] {
      cs.applies_to = expr(*find(header, "applies_to"), scope, boolean_unit(), "'applies_to'");
    });
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
  if (const RawValue* budget = find(d.root, "budget");
      budget && budget->kind != RawValue::Kind::null) {
    each_item(*budget, "'budget'", [&](const RawValue& v) { compile_budget(set, v); });
  }
  if (const RawValue* checks = find(d.root, "checks");
      checks && checks->kind != RawValue::Kind::null) {
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
        throw Error::expected(ErrorKind::schema, "resolve: higher (就高) or priority",
                              "'" + resolve + "'", f.key_mark("resolve"));
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

std::vector<std::size_t> Loader::rule_refs(const RawValue& list, const std::string& set_id) {
  std::vector<std::size_t> out;
  each_item(list, "'rules'", [&](const RawValue& item) {
    std::string id = Fields::scalar(item, "a rule id");
    if (id.find('/') == std::string::npos) id = set_id + "/" + id;
    auto it = r_.rule_index.find(id);
    if (it == r_.rule_index.end()) {
      throw Error(ErrorKind::name,
                  "rule '" + id +
                      "' is not defined (rules must be defined before "
                      "they are referred to)",
                  item.mark);
    }
    out.push_back(it->second);
  });
  return out;
}

Citation Loader::read_citation(const Fields& owner, const std::string& set_id) {
  const RawValue* c = owner.get("citation");
  if (!c) {
    throw Error(
        ErrorKind::citation,
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
    throw Error::expected(ErrorKind::citation, "the verbatim sentence the rule encodes ('text')",
                          "none", f.mark());
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

void Loader::compile_rule(std::size_t set, const SetScope& scope, const RawValue& v) {
  Fields f(v, "a rule",
           {"id", "title", "citation", "payer", "payer_inferred", "form", "in_kind", "recurrence",
            "when", "award", "rounding", "in_force", "notes"});
  RuleInfo info;
  info.policy_set = r_.sets[set].id;
  info.id = f.need_text("id");
  info.mark = v.mark;
  if (!valid_id(info.id, true)) {
    throw Error::expected(ErrorKind::schema, "a rule id of letters, digits, '-' and '_'",
                          "'" + info.id + "'", f.key_mark("id"));
  }
  info.qualified_id = info.policy_set + "/" + info.id;
  if (r_.rule_index.count(info.qualified_id)) {
    throw Error(ErrorKind::name, "rule '" + info.id + "' is defined twice in this policy set",
                f.key_mark("id"));
  }
  if (const RawValue* t = f.get("title")) info.title = read_text(*t, "'title'");
  if (const RawValue* x = f.get("in_force")) info.in_force = read_in_force(*x);
  info.citation = read_citation(f, info.policy_set);
  const std::string form = f.text("form", "cash");
  if (form == "cash")
    info.form = AwardForm::cash;
  else if (form == "in_kind")
    info.form = AwardForm::in_kind;
  else if (form == "preference")
    info.form = AwardForm::preference;
  else if (form == "honour")
    info.form = AwardForm::honour;
  else {
    throw Error::expected(ErrorKind::schema, "form cash, in_kind, preference or honour",
                          "'" + form + "'", f.key_mark("form"));
  }
  if (const RawValue* k = f.get("in_kind")) info.in_kind = read_text(*k, "'in_kind'");
  if (info.form == AwardForm::in_kind && info.in_kind.zh.empty() && info.in_kind.en.empty()) {
    throw Error::expected(ErrorKind::schema, "'in_kind' naming what is given (e.g. 图书)", "none",
                          v.mark);
  }
  info.payer = f.text("payer");
  if (info.payer.empty() && (info.form == AwardForm::cash || info.form == AwardForm::in_kind)) {
    throw Error::expected(ErrorKind::schema, "a 'payer' for a cash or in-kind award", "none",
                          v.mark);
  }
  if (!info.payer.empty() && !r_.payer_index.count(info.payer)) {
    std::vector<std::string> names;
    for (const auto& p : r_.payers) names.push_back(p.id);
    throw Error::expected(ErrorKind::name, "a declared payer (" + join(names) + ")",
                          "'" + info.payer + "'", f.key_mark("payer"));
  }
  if (const RawValue* inferred = f.get("payer_inferred")) {
    info.payer_inferred = read_bool(*inferred, "'payer_inferred'");
    if (info.payer_inferred && info.payer.empty()) {
      throw Error::expected(ErrorKind::schema, "a 'payer' that 'payer_inferred' can describe",
                            "none", f.key_mark("payer_inferred"));
    }
  }
  CompiledRule rule;
  rule.set = set;
  if (const RawValue* rec = f.get("recurrence")) {
    if (rec->kind == RawValue::Kind::text) {
      if (rec->text == "one_time")
        info.recurrence.kind = Recurrence::Kind::one_time;
      else if (rec->text == "yearly")
        info.recurrence.kind = Recurrence::Kind::yearly;
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
        throw Error::expected(ErrorKind::schema, "a whole number of years",
                              describe(rf.need("years")), rf.key_mark("years"));
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
      if (reduced.coefficient_int64() != 1) {
        throw Error::expected(ErrorKind::schema, "a power of ten (0.01, 1, 100, ...)", describe(*q),
                              q->mark);
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
Expression Loader::amount(const RawValue& v, const Scope& scope, const std::string& what) {
  return expr(v, scope, money_unit(), what);
}

/// An award written as a literal cannot be negative (-1万 is a typo, never a payment).
void Loader::non_negative(const Expression& e, const std::string& what) {
  const Expr* root = e.root.get();
  const bool negated =
      root->op == Op::neg && root->args.size() == 1 && root->args[0]->op == Op::number;
  const Expr* literal = negated ? root->args[0].get() : root;
  if (literal->op != Op::number) return;
  if (negated ? literal->number.signum() > 0 : literal->number.is_negative()) {
    throw Error::expected(ErrorKind::schema, "an award of at least 0 for " + what,
                          "'" + e.source + "'", e.mark);
  }
}

CompiledAward Loader::compile_award(const RawValue& v, const Scope& scope, bool money) {
  static const std::vector<std::string> forms = {"fixed",    "band",  "rate",    "base",  "formula",
                                                 "per_item", "tiers", "unfixed", "honour"};
  Fields f(v, "an award", forms);
  std::vector<std::string> present;
  for (const auto& [k, val] : v.entries) {
    if (k != "base") present.push_back(k);
  }
  if (present.size() != 1) {
    throw Error::expected(
        ErrorKind::schema,
        "exactly one award form (fixed, band, rate + base, formula, per_item, tiers, "
        "unfixed, honour)",
        present.empty() ? std::string("none") : join(present), v.mark);
  }
  CompiledAward a;
  const std::string& kind = present.front();
  const RawValue& body = f.need(kind);
  // 'base' belongs to 'rate' alone: beside another form it would be silently ignored.
  if (kind != "rate" && find(v, "base") != nullptr) {
    throw Error::expected(ErrorKind::schema, "'base' only beside 'rate'",
                          "'base' beside '" + kind + "'", f.key_mark("base"));
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
      if (pf.get("where"))
        throw Error(ErrorKind::schema, "'where' needs 'for_each'", pf.key_mark("where"));
      a.each = std::make_unique<CompiledAward>(compile_award(pf.need("each"), scope, money));
      a.summary = "(" + a.a.source + ") × " + a.each->summary;
    } else {
      const std::string list = pf.need_text("for_each");
      auto b = scope.lookup(list);
      if (!b || b->unit.kind != UnitKind::list) {
        throw Error::expected(ErrorKind::name, "the name of a list fact", "'" + list + "'",
                              pf.key_mark("for_each"));
      }
      a.list_slot = b->slot;
      a.list_decl = b->list;
      RecordScopeWrapper inner(scope, *b->list);
      if (const RawValue* w = pf.get("where")) a.where = expr(*w, inner, boolean_unit(), "'where'");
      a.each = std::make_unique<CompiledAward>(compile_award(pf.need("each"), inner, money));
      a.summary = "each " + list + (a.where ? " where " + a.where.source : std::string()) + ": " +
                  a.each->summary;
    }
    if (a.each->kind == AmountKind::per_item) {
      throw Error(ErrorKind::schema, "per_item awards cannot be nested", pf.key_mark("each"));
    }
  } else if (kind == "tiers") {
    compile_tiers(a, body, scope, money);
  }
  return a;
}

void Loader::compile_tiers(CompiledAward& a, const RawValue& body, const Scope& scope, bool money) {
  a.kind = AmountKind::tiers;
  Fields tf(body, "'tiers'", {"on", "hit", "levels"});
  a.a = expr(tf.need("on"), scope, std::nullopt, "'on'");
  const Unit on_unit = a.a.root->unit;
  if (!on_unit.numeric()) {
    throw Error::expected(ErrorKind::unit, "a number to place in tiers", on_unit.to_string(),
                          tf.key_mark("on"));
  }
  const std::string hit = tf.text("hit", "unique");
  if (hit == "unique")
    a.hit = HitPolicy::unique;
  else if (hit == "highest")
    a.hit = HitPolicy::highest;
  else if (hit == "first")
    a.hit = HitPolicy::first;
  else if (hit == "sum")
    a.hit = HitPolicy::sum;
  else {
    throw Error::expected(ErrorKind::schema, "hit unique, highest, first or sum", "'" + hit + "'",
                          tf.key_mark("hit"));
  }
  static const std::vector<std::pair<std::string, std::pair<bool, bool>>> words = {
      // word → (is lower bound, inclusive)
      {"以上", {true, true}},     {"不低于", {true, true}},     {"不少于", {true, true}},
      {"超过", {true, false}},    {">=", {true, true}},         {">", {true, false}},
      {"at_least", {true, true}}, {"more_than", {true, false}}, {"以下", {false, true}},
      {"以内", {false, true}},    {"不满", {false, false}},     {"低于", {false, false}},
      {"少于", {false, false}},   {"<=", {false, true}},        {"<", {false, false}},
      {"at_most", {false, true}}, {"less_than", {false, false}}};
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
        throw Error::expected(ErrorKind::tiers,
                              std::string("one ") + (lower ? "lower" : "upper") + " bound", "two",
                              lf.key_mark(word));
      }
      Expression e =
          expr(*bound, scope,
               on_unit.kind == UnitKind::number ? std::nullopt : std::optional<Unit>(on_unit),
               "'" + word + "'");
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
      throw Error::expected(ErrorKind::tiers,
                            "a bound written with the text's word (以上, 超过, 不满, 以下, ...)",
                            "none", lv.mark);
    }
    if (level.info.label.empty()) level.info.label = describe_level(level.info);
    level.award = std::make_unique<CompiledAward>(compile_award(lf.need("award"), scope, money));
    level_marks.push_back(lv.mark);
    a.levels.push_back(std::move(level));
  });
  if (a.levels.empty())
    throw Error::expected(ErrorKind::tiers, "at least one level", "none", body.mark);
  check_tiers(a, level_marks);
  std::string summary = "tiers on " + a.a.source + " (" + hit + "):";
  for (const auto& l : a.levels) summary += " [" + l.info.label + "] " + l.award->summary + ";";
  summary.pop_back();
  a.summary = summary;
}

void Loader::compile_budget(std::size_t set, const RawValue& v) {
  Fields f(v, "a budget line",
           {"id", "citation", "payer", "per", "amount", "band", "items", "covers", "notes"});
  BudgetLine b;
  b.policy_set = r_.sets[set].id;
  b.id = f.need_text("id");
  b.citation = read_citation(f, b.policy_set);
  b.payer = f.need_text("payer");
  if (!r_.payer_index.count(b.payer)) {
    throw Error::expected(ErrorKind::name, "a declared payer", "'" + b.payer + "'",
                          f.key_mark("payer"));
  }
  b.per = f.text("per", "year");
  if (b.per != "year" && b.per != "one_time") {
    throw Error::expected(ErrorKind::schema, "per: year or one_time", "'" + b.per + "'",
                          f.key_mark("per"));
  }
  const RawValue* amount_v = f.get("amount");
  const RawValue* band_v = f.get("band");
  if ((amount_v != nullptr) == (band_v != nullptr)) {
    throw Error::expected(ErrorKind::schema, "exactly one of 'amount' or 'band'",
                          amount_v ? "both" : "neither", v.mark);
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
    for (std::size_t i : rule_refs(*covers, b.policy_set))
      b.covers.push_back(r_.rules[r_.crules[i].info].qualified_id);
  }
  r_.budget.push_back(std::move(b));
}

}  // namespace subsidy::detail::load
