// Canonical JSON of evaluations: fixed key order, decimals as strings, no whitespace variation.
#include "json_writer.hpp"
#include "subsidy/evaluate.hpp"

namespace subsidy {
namespace {

using detail::Writer;

void band(Writer& w, const Band& b) { w.range(b.min, b.max); }

void total(Writer& w, const Total& t) {
  w.open('{');
  w.key("cash");
  band(w, t.cash);
  w.key("in_kind");
  band(w, t.in_kind);
  w.key("unfixed");
  w.integer(t.unfixed);
  w.key("recognised");
  w.integer(t.recognised);
  w.key("lines");
  w.integer(t.lines);
  if (!t.complete()) {  // only then, so complete results keep their bytes (and receipts)
    w.key("unevaluated");
    w.integer(t.unevaluated);
  }
  w.close('}');
}

void trace(Writer& w, const std::vector<TraceStep>& steps) {
  w.key("trace");
  w.open('[');
  for (const auto& s : steps) {
    w.open('{');
    w.key("kind");
    w.str(s.kind);
    w.key("detail");
    w.str(s.detail);
    w.close('}');
  }
  w.close(']');
}

}  // namespace

std::string to_json(const Evaluation& e, bool with_trace) {
  Writer w;
  w.open('{');
  w.key("enterprise");
  w.str(e.enterprise);
  w.key("name");
  w.str(e.name);
  w.key("year");
  if (e.year)
    w.integer(*e.year);
  else
    w.null();
  w.key("policy_sets");
  w.open('[');
  for (const auto& s : e.policy_sets) w.str(s);
  w.close(']');
  w.key("error");
  if (e.error)
    w.str(e.error->what());
  else
    w.null();
  w.key("lines");
  w.open('[');
  for (const auto& l : e.lines) {
    w.open('{');
    w.key("policy_set");
    w.str(l.policy_set);
    w.key("rule");
    w.str(l.rule);
    w.key("clause");
    w.str(l.info->citation.clause);
    w.key("payer");
    w.str(l.info->payer);
    if (l.info->payer_inferred) {
      w.key("payer_inferred");
      w.boolean(true);
    }
    w.key("form");
    w.str(to_string(l.info->form));
    w.key("status");
    w.str(to_string(l.status));
    w.key("amount");
    if (l.status == LineStatus::exact || l.status == LineStatus::decided)
      w.num(l.amount);
    else
      w.null();
    w.key("band");
    if (l.status == LineStatus::unfixed || l.status == LineStatus::recognised)
      w.null();
    else
      band(w, l.band);
    w.key("tier");
    w.str(l.tier);
    w.key("items");
    w.integer(l.items);
    w.key("unfixed_text");
    w.str(l.unfixed_text);
    w.key("recurrence");
    w.str(l.info->recurrence.to_string());
    w.key("withheld");
    w.boolean(l.withheld);
    w.key("note");
    w.str(l.note);
    w.key("citation");
    w.str(l.info->citation.text);
    if (with_trace) trace(w, l.trace);
    w.close('}');
  }
  w.close(']');
  w.key("totals");
  w.open('{');
  w.key("all");
  total(w, e.totals.all);
  w.key("by_payer");
  w.open('{');
  for (const auto& [payer, t] : e.totals.by_payer) {
    w.key(payer.c_str());
    total(w, t);
  }
  w.close('}');
  w.key("by_policy_set");
  w.open('{');
  for (const auto& [set, t] : e.totals.by_policy_set) {
    w.key(set.c_str());
    total(w, t);
  }
  w.close('}');
  w.close('}');
  w.key("findings");
  w.open('[');
  for (const auto& f : e.findings) {
    w.open('{');
    w.key("policy_set");
    w.str(f.policy_set);
    w.key("check");
    w.str(f.check);
    w.key("passed");
    w.boolean(f.passed);
    w.key("message");
    w.str(f.message);
    w.key("detail");
    w.str(f.detail);
    w.close('}');
  }
  w.close(']');
  if (!e.unevaluated.empty()) {
    w.key("unevaluated");
    w.open('[');
    for (const auto& u : e.unevaluated) {
      w.open('{');
      w.key("policy_set");
      w.str(u.policy_set);
      w.key("id");
      w.str(u.id);
      w.key("kind");
      w.str(u.kind);
      w.key("missing");
      w.open('[');
      for (const auto& m : u.missing) w.str(m);
      w.close(']');
      w.close('}');
    }
    w.close(']');
  }
  if (with_trace) {
    w.key("passed_over");
    w.open('[');
    for (const auto& p : e.passed_over) {
      w.open('{');
      w.key("policy_set");
      w.str(p.policy_set);
      w.key("rule");
      w.str(p.rule);
      w.key("clause");
      w.str(p.info->citation.clause);
      w.key("reason");
      w.str(p.reason);
      trace(w, p.trace);
      w.close('}');
    }
    w.close(']');
  }
  w.key("receipt");
  w.str(e.receipt);
  w.close('}');
  return w.out;
}

}  // namespace subsidy
