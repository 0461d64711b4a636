// Canonical JSON of evaluations: fixed key order, decimals as strings, no whitespace variation.
#include "subsidy/evaluate.hpp"

namespace subsidy {
namespace {

void escape(std::string& out, const std::string& s) {
  out += '"';
  for (const char ch : s) {
    const auto c = static_cast<unsigned char>(ch);
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (c < 0x20) {
          static const char* hex = "0123456789abcdef";
          out += "\\u00";
          out += hex[c >> 4];
          out += hex[c & 0xF];
        } else {
          out += static_cast<char>(c);
        }
    }
  }
  out += '"';
}

class Writer {
 public:
  std::string out;
  void key(const char* k) {
    comma();
    escape(out, k);
    out += ':';
    first_ = true;  // the value follows without a comma
    pending_value_ = true;
  }
  void str(const std::string& s) {
    value_prefix();
    escape(out, s);
  }
  void num(const Decimal& d) { str(d.to_string()); }
  void integer(std::int64_t v) {
    value_prefix();
    out += std::to_string(v);
  }
  void boolean(bool b) {
    value_prefix();
    out += b ? "true" : "false";
  }
  void null() {
    value_prefix();
    out += "null";
  }
  void open(char c) {
    value_prefix();
    out += c;
    first_ = true;
  }
  void close(char c) {
    out += c;
    first_ = false;
  }

 private:
  void comma() {
    if (!first_) out += ',';
    first_ = false;
  }
  void value_prefix() {
    if (pending_value_) {
      pending_value_ = false;
      first_ = false;
      return;
    }
    comma();
  }
  bool first_ = true;
  bool pending_value_ = false;
};

void band(Writer& w, const Band& b) {
  w.open('{');
  w.key("min");
  w.num(b.min);
  w.key("max");
  w.num(b.max);
  w.close('}');
}

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
  w.close('}');
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
  if (e.year) w.integer(*e.year); else w.null();
  w.key("policy_sets");
  w.open('[');
  for (const auto& s : e.policy_sets) w.str(s);
  w.close(']');
  w.key("error");
  if (e.error) w.str(e.error->what()); else w.null();
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
    w.key("form");
    w.str(to_string(l.info->form));
    w.key("status");
    w.str(to_string(l.status));
    w.key("amount");
    if (l.status == LineStatus::exact || l.status == LineStatus::decided) w.num(l.amount); else w.null();
    w.key("band");
    if (l.status == LineStatus::unfixed || l.status == LineStatus::recognised) w.null(); else band(w, l.band);
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
    if (with_trace) {
      w.key("trace");
      w.open('[');
      for (const auto& s : l.trace) {
        w.open('{');
        w.key("kind");
        w.str(s.kind);
        w.key("detail");
        w.str(s.detail);
        w.close('}');
      }
      w.close(']');
    }
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
  w.key("receipt");
  w.str(e.receipt);
  w.close('}');
  return w.out;
}

}  // namespace subsidy
