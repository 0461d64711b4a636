#include "expression.hpp"

#include <array>
#include <cstring>

#include "document.hpp"

namespace subsidy::detail {

Unit money_unit() { return Unit{UnitKind::money, {}}; }
Unit rate_unit() { return Unit{UnitKind::rate, {}}; }
Unit count_unit() { return Unit{UnitKind::count, {}}; }
Unit number_unit() { return Unit{UnitKind::number, {}}; }
Unit boolean_unit() { return Unit{UnitKind::boolean, {}}; }

namespace {

// ---- lexing -------------------------------------------------------------------------------------

enum class Tok : std::uint8_t { end, number, string, ident, word, punct };

struct Token {
  Tok kind = Tok::end;
  std::string text;
  int pos = 0;
};

// The legal boundary words (PRC Civil Code Art. 1259) and the Chinese connectives, longest first
// so that 不低于 is not read as 不 + 低于.
constexpr std::array<const char*, 14> kWords = {"不低于", "不少于", "以上", "以下", "以内", "超过",
                                                "不满",   "低于",   "少于", "在",   "且",   "或",
                                                "非",     "×"};

bool starts_with(const std::string& s, std::size_t i, const char* w) {
  const std::size_t n = std::strlen(w);
  return s.compare(i, n, w) == 0;
}

bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_ident_start(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_'; }
bool is_ident(char c) { return is_ident_start(c) || is_digit(c); }

class Lexer {
 public:
  Lexer(const std::string& text, const Mark& mark) : s_(text), mark_(mark) {}

  Mark at(int pos) const {
    Mark m = mark_;
    if (m.line > 0) m.column += column_of(pos);
    return m;
  }

  int column_of(int pos) const {
    // Columns count characters, not bytes, so they line up with what an editor shows.
    int col = 0;
    for (int i = 0; i < pos && i < static_cast<int>(s_.size()); ++i) {
      if ((static_cast<unsigned char>(s_[static_cast<std::size_t>(i)]) & 0xC0) != 0x80) ++col;
    }
    return col;
  }

  std::vector<Token> run() {
    std::vector<Token> out;
    std::size_t i = 0;
    while (i < s_.size()) {
      const char c = s_[i];
      const int pos = static_cast<int>(i);
      if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
        ++i;
        continue;
      }
      if (is_digit(c) || starts_with(s_, i, "百分之")) {
        std::size_t j = i;
        if (starts_with(s_, i, "百分之")) {
          j += std::strlen("百分之");
          static const char* numerals[] = {"零", "一", "二", "两", "三", "四", "五", "六",
                                           "七", "八", "九", "十", "百", "点"};
          bool more = true;
          while (more && j < s_.size()) {
            more = false;
            if (is_digit(s_[j]) || s_[j] == '.') {
              ++j;
              more = true;
              continue;
            }
            for (const char* n : numerals) {
              if (starts_with(s_, j, n)) {
                j += std::strlen(n);
                more = true;
                break;
              }
            }
          }
        } else {
          while (j < s_.size() && (is_digit(s_[j]) || s_[j] == '.')) ++j;
          for (const char* unit : {"千", "万", "亿"}) {
            if (starts_with(s_, j, unit)) {
              j += std::strlen(unit);
              break;
            }
          }
          if (starts_with(s_, j, "元")) {
            j += std::strlen("元");
          } else if (j < s_.size() && s_[j] == '%') {
            ++j;
          }
          if (j < s_.size() && is_ident(s_[j])) {
            throw Error::expected(ErrorKind::parse, "an operator or a space after a number",
                                  "'" + s_.substr(j, 1) + "'", at(static_cast<int>(j)));
          }
        }
        out.push_back({Tok::number, s_.substr(i, j - i), pos});
        i = j;
        continue;
      }
      if (c == '\'' || c == '"') {
        const std::size_t close = s_.find(c, i + 1);
        if (close == std::string::npos) {
          throw Error::expected(ErrorKind::parse, std::string("a closing ") + c, "the end of the expression",
                                at(pos));
        }
        out.push_back({Tok::string, s_.substr(i + 1, close - i - 1), pos});
        i = close + 1;
        continue;
      }
      if (is_ident_start(c)) {
        std::size_t j = i;
        while (j < s_.size() && is_ident(s_[j])) ++j;
        out.push_back({Tok::ident, s_.substr(i, j - i), pos});
        i = j;
        continue;
      }
      bool matched = false;
      for (const char* w : kWords) {
        if (starts_with(s_, i, w)) {
          out.push_back({Tok::word, w, pos});
          i += std::strlen(w);
          matched = true;
          break;
        }
      }
      if (matched) continue;
      for (const char* p : {">=", "<=", "==", "!=", ">", "<", "+", "-", "*", "(", ")", ",", "[", "]"}) {
        if (starts_with(s_, i, p)) {
          out.push_back({Tok::punct, p, pos});
          i += std::strlen(p);
          matched = true;
          break;
        }
      }
      if (matched) continue;
      std::size_t len = 1;
      const auto uc = static_cast<unsigned char>(c);
      if (uc >= 0xF0) len = 4;
      else if (uc >= 0xE0) len = 3;
      else if (uc >= 0xC0) len = 2;
      throw Error::expected(ErrorKind::parse,
                            "a name, a number, a quoted value, an operator or a comparison word "
                            "(以上, 以下, 以内, 超过, 不满, 不低于, 不少于, 低于, 少于)",
                            "'" + s_.substr(i, len) + "'", at(pos));
    }
    out.push_back({Tok::end, "", static_cast<int>(s_.size())});
    return out;
  }

 private:
  const std::string& s_;
  Mark mark_;
};

// ---- parsing ------------------------------------------------------------------------------------

std::optional<Cmp> comparison_of(const Token& t) {
  const std::string& x = t.text;
  if (t.kind == Tok::punct) {
    if (x == ">=") return Cmp::ge;
    if (x == ">") return Cmp::gt;
    if (x == "<=") return Cmp::le;
    if (x == "<") return Cmp::lt;
    if (x == "==") return Cmp::eq;
    if (x == "!=") return Cmp::ne;
  }
  if (t.kind == Tok::word) {
    if (x == "以上" || x == "不低于" || x == "不少于") return Cmp::ge;
    if (x == "以下" || x == "以内") return Cmp::le;
    if (x == "超过") return Cmp::gt;
    if (x == "不满" || x == "低于" || x == "少于") return Cmp::lt;
  }
  if (t.kind == Tok::ident) {
    if (x == "at_least") return Cmp::ge;
    if (x == "at_most") return Cmp::le;
    if (x == "more_than") return Cmp::gt;
    if (x == "less_than") return Cmp::lt;
  }
  return std::nullopt;
}

class Parser {
 public:
  Parser(const std::string& text, const Mark& mark) : lexer_(text, mark), toks_(lexer_.run()) {}

  std::unique_ptr<Expr> parse() {
    auto e = parse_or();
    if (peek().kind != Tok::end) fail("an operator or the end of the expression");
    return e;
  }

 private:
  const Token& peek() const { return toks_[i_]; }
  Token take() { return toks_[i_++]; }
  bool accept(Tok kind, const char* text) {
    if (peek().kind == kind && peek().text == text) {
      ++i_;
      return true;
    }
    return false;
  }
  bool accept_ident(const char* text) { return accept(Tok::ident, text); }
  [[noreturn]] void fail(const std::string& expected) const {
    const Token& t = peek();
    throw Error::expected(ErrorKind::parse, expected,
                          t.kind == Tok::end ? std::string("the end of the expression")
                                             : "'" + t.text + "'",
                          lexer_.at(t.pos));
  }
  void expect(Tok kind, const char* text) {
    if (!accept(kind, text)) fail(std::string("'") + text + "'");
  }

  static std::unique_ptr<Expr> node(Op op, int pos) {
    auto e = std::make_unique<Expr>();
    e->op = op;
    e->pos = pos;
    return e;
  }

  void enter() {
    if (++depth_ > Limits::max_expression_depth) {
      throw Error::expected(ErrorKind::limit,
                            "an expression nested at most " +
                                std::to_string(Limits::max_expression_depth) + " levels deep",
                            "deeper nesting", lexer_.at(peek().pos));
    }
  }
  void leave() { --depth_; }

  std::unique_ptr<Expr> parse_or() {
    enter();
    auto left = parse_and();
    while (true) {
      const int pos = peek().pos;
      if (!accept_ident("or") && !accept(Tok::word, "或")) break;
      auto e = node(Op::or_, pos);
      e->args.push_back(std::move(left));
      e->args.push_back(parse_and());
      left = std::move(e);
    }
    leave();
    return left;
  }

  std::unique_ptr<Expr> parse_and() {
    auto left = parse_not();
    while (true) {
      const int pos = peek().pos;
      if (!accept_ident("and") && !accept(Tok::word, "且")) break;
      auto e = node(Op::and_, pos);
      e->args.push_back(std::move(left));
      e->args.push_back(parse_not());
      left = std::move(e);
    }
    return left;
  }

  std::unique_ptr<Expr> parse_not() {
    const int pos = peek().pos;
    if (accept_ident("not") || accept(Tok::word, "非")) {
      enter();
      auto e = node(Op::not_, pos);
      e->args.push_back(parse_not());
      leave();
      return e;
    }
    return parse_comparison();
  }

  std::unique_ptr<Expr> parse_comparison() {
    auto left = parse_sum();
    const Token t = peek();
    if (t.kind == Tok::word && t.text == "在") {
      // The circumfix form of the text: "售价在100万元以上" → price 在 100万 以上.
      take();
      auto right = parse_sum();
      const Token w = peek();
      if (w.kind != Tok::word || (w.text != "以上" && w.text != "以下" && w.text != "以内")) {
        fail("以上, 以下 or 以内 after 在 …");
      }
      take();
      auto e = node(Op::compare, t.pos);
      e->cmp = *comparison_of(w);
      e->text = "在…" + w.text;
      e->args.push_back(std::move(left));
      e->args.push_back(std::move(right));
      return e;
    }
    if (auto cmp = comparison_of(t)) {
      take();
      auto e = node(Op::compare, t.pos);
      e->cmp = *cmp;
      e->text = t.text;
      e->args.push_back(std::move(left));
      e->args.push_back(parse_sum());
      return e;
    }
    const bool negated = t.kind == Tok::ident && t.text == "not" && toks_[i_ + 1].kind == Tok::ident &&
                         toks_[i_ + 1].text == "in";
    if (negated || (t.kind == Tok::ident && t.text == "in")) {
      take();
      if (negated) take();
      auto e = node(Op::in, t.pos);
      expect(Tok::punct, "[");
      while (true) {
        if (peek().kind != Tok::string) fail("a quoted value");
        e->strings.push_back(take().text);
        if (accept(Tok::punct, "]")) break;
        if (!accept(Tok::punct, ",")) fail("',' or ']'");
      }
      e->args.push_back(std::move(left));
      if (!negated) return e;
      auto n = node(Op::not_, t.pos);
      n->args.push_back(std::move(e));
      return n;
    }
    return left;
  }

  std::unique_ptr<Expr> parse_sum() {
    auto left = parse_product();
    while (true) {
      const int pos = peek().pos;
      Op op;
      if (accept(Tok::punct, "+")) {
        op = Op::add;
      } else if (accept(Tok::punct, "-")) {
        op = Op::sub;
      } else {
        break;
      }
      auto e = node(op, pos);
      e->args.push_back(std::move(left));
      e->args.push_back(parse_product());
      left = std::move(e);
    }
    return left;
  }

  std::unique_ptr<Expr> parse_product() {
    auto left = parse_unary();
    while (true) {
      const int pos = peek().pos;
      if (!accept(Tok::punct, "*") && !accept(Tok::word, "×")) break;
      auto e = node(Op::mul, pos);
      e->args.push_back(std::move(left));
      e->args.push_back(parse_unary());
      left = std::move(e);
    }
    return left;
  }

  std::unique_ptr<Expr> parse_unary() {
    const int pos = peek().pos;
    if (accept(Tok::punct, "-")) {
      enter();
      auto e = node(Op::neg, pos);
      e->args.push_back(parse_unary());
      leave();
      return e;
    }
    return parse_primary();
  }

  std::unique_ptr<Expr> parse_primary() {
    const Token t = peek();
    if (t.kind == Tok::number) {
      take();
      auto e = node(Op::number, t.pos);
      Amount amount;
      try {
        amount = Decimal::parse_amount(t.text);
      } catch (Error& err) {
        throw Error(err.kind(), err.message(), lexer_.at(t.pos));
      }
      e->number = amount.value;
      e->text = t.text;
      e->unit = amount.unit == AmountUnit::yuan   ? money_unit()
                : amount.unit == AmountUnit::rate ? rate_unit()
                                                  : number_unit();
      return e;
    }
    if (t.kind == Tok::string) {
      take();
      auto e = node(Op::string, t.pos);
      e->text = t.text;
      return e;
    }
    if (accept(Tok::punct, "(")) {
      auto e = parse_or();
      expect(Tok::punct, ")");
      return e;
    }
    if (t.kind == Tok::ident) {
      take();
      if (t.text == "true" || t.text == "false") {
        auto e = node(Op::boolean, t.pos);
        e->boolean = t.text == "true";
        return e;
      }
      static const std::pair<const char*, Op> functions[] = {
          {"min", Op::min},     {"max", Op::max},         {"if", Op::if_},     {"round", Op::round},
          {"sum", Op::sum},     {"count", Op::count},     {"any", Op::any},
          {"all", Op::all},     {"present", Op::present}, {"option", Op::option},
          {"last_year", Op::last_year}};
      for (const auto& [fname, op] : functions) {
        if (t.text == fname && peek().kind == Tok::punct && peek().text == "(") {
          take();
          enter();
          auto e = node(op, t.pos);
          e->text = t.text;
          if (op == Op::present || op == Op::option || op == Op::last_year) {
            if (peek().kind != Tok::ident) fail("a name");
            auto arg = node(Op::name, peek().pos);
            arg->text = take().text;
            e->args.push_back(std::move(arg));
          } else {
            while (true) {
              e->args.push_back(parse_or());
              if (accept(Tok::punct, ")")) break;
              if (!accept(Tok::punct, ",")) fail("',' or ')'");
            }
            leave();
            return e;
          }
          expect(Tok::punct, ")");
          leave();
          return e;
        }
      }
      auto e = node(Op::name, t.pos);
      e->text = t.text;
      return e;
    }
    fail("a number, a name, a quoted value or '('");
  }

  Lexer lexer_;
  std::vector<Token> toks_;
  std::size_t i_ = 0;
  std::size_t depth_ = 0;
};

// ---- type checking ------------------------------------------------------------------------------

class Checker {
 public:
  Checker(Expression& e, const Scope& scope) : e_(e), scope_(scope), lexer_(e.source, e.mark) {}

  Mark at(const Expr& x) const { return lexer_.at(x.pos); }

  [[noreturn]] void unit_error(const Expr& x, const std::string& expected, const Unit& found) const {
    throw Error::expected(ErrorKind::unit, expected, found.to_string(), at(x),
                          "in '" + e_.source + "'");
  }

  static bool is_bare(const Unit& u) { return u.kind == UnitKind::number; }

  // Unifies two numeric units for +, −, min, max, comparisons: equal, or one is a bare number.
  Unit unify(const Expr& at_expr, const Unit& a, const Unit& b) const {
    if (!a.numeric() && a.kind != UnitKind::date) unit_error(at_expr, "a number", a);
    if (!b.numeric() && b.kind != UnitKind::date) unit_error(at_expr, "a number", b);
    if (a == b) return a;
    if (is_bare(a) && b.kind != UnitKind::date) return b;
    if (is_bare(b) && a.kind != UnitKind::date) return a;
    if ((a.kind == UnitKind::count && b.kind == UnitKind::year) ||
        (a.kind == UnitKind::year && b.kind == UnitKind::count)) {
      return Unit{UnitKind::year, {}};
    }
    throw Error::expected(ErrorKind::unit, "values of the same unit", a.to_string() + " with " +
                                                                          b.to_string(),
                          at(at_expr), "in '" + e_.source + "'");
  }

  // A bare literal beside a rate takes the rate's unit, so `growth >= 60` would mean 6000%:
  // above 1 a rate literal is written with its % sign (60%), as a rule file's rate value is.
  void bare_rate(const Expr& operand, const Unit& unit) const {
    if (unit.kind != UnitKind::rate || operand.op != Op::number || !is_bare(operand.unit)) return;
    if (!(Decimal(1) < operand.number) && !(operand.number < Decimal(-1))) return;
    throw Error::expected(ErrorKind::unit,
                          "a rate written with % (60%) or as a fraction of 1 (0.6)",
                          "the bare number '" + operand.text + "' beside a rate, which would be " +
                              (operand.number * Decimal(100)).to_string() + "%",
                          at(operand), "in '" + e_.source + "'");
  }

  Unit unify_operands(const Expr& at_expr, const Expr& a, const Expr& b) const {
    const Unit u = unify(at_expr, a.unit, b.unit);
    bare_rate(a, u);
    bare_rate(b, u);
    return u;
  }

  void check(Expr& x) {
    switch (x.op) {
      case Op::number:
        return;  // unit set by the parser
      case Op::boolean:
        x.unit = boolean_unit();
        return;
      case Op::string:
        x.unit = Unit{UnitKind::text, {}};
        return;
      case Op::name: {
        std::optional<Binding> b;
        if (record_ != nullptr) {
          for (std::size_t k = 0; k < record_->fields.size(); ++k) {
            if (record_->fields[k].name == x.text) {
              const FactDecl& f = record_->fields[k];
              b = Binding{RefKind::field, k, f.unit, f.unit.kind == UnitKind::enumeration ? &f.values : nullptr, nullptr};
            }
          }
        }
        if (!b) b = scope_.lookup(x.text);
        if (!b) {
          throw Error(ErrorKind::name,
                      "'" + x.text + "' is not a declared fact, parameter or derived value" +
                          (record_ ? " nor a field of '" + record_->name + "'" : std::string()),
                      at(x));
        }
        if (b->unit.kind == UnitKind::list) {
          throw Error::expected(ErrorKind::unit, "a value (a list is read with sum, count, any or all)",
                                "the list '" + x.text + "'", at(x));
        }
        x.ref = b->ref;
        x.slot = b->slot;
        x.unit = b->unit;
        x.enum_values = b->enum_values;
        if (b->ref == RefKind::derived) scope_.uses_derived(b->slot);
        return;
      }
      case Op::add:
      case Op::sub: {
        check(*x.args[0]);
        check(*x.args[1]);
        const Unit& a = x.args[0]->unit;
        const Unit& b = x.args[1]->unit;
        if (x.op == Op::sub && a.kind == UnitKind::year && b.kind == UnitKind::year) {
          x.unit = count_unit();
          return;
        }
        x.unit = unify_operands(x, *x.args[0], *x.args[1]);
        if (x.unit.kind == UnitKind::date) unit_error(x, "numbers (dates cannot be added)", x.unit);
        return;
      }
      case Op::mul: {
        check(*x.args[0]);
        check(*x.args[1]);
        x.unit = multiply(x, x.args[0]->unit, x.args[1]->unit);
        return;
      }
      case Op::neg:
        check(*x.args[0]);
        if (!x.args[0]->unit.numeric()) unit_error(x, "a number", x.args[0]->unit);
        x.unit = x.args[0]->unit;
        return;
      case Op::min:
      case Op::max: {
        if (x.args.size() < 2) {
          throw Error::expected(ErrorKind::parse, "at least two arguments",
                                std::to_string(x.args.size()), at(x), x.text + "()");
        }
        Unit u = number_unit();
        for (auto& a : x.args) {
          check(*a);
          u = unify(*a, u, a->unit);
        }
        for (const auto& a : x.args) bare_rate(*a, u);
        x.unit = u;
        return;
      }
      case Op::if_: {
        arity(x, 3);
        check(*x.args[0]);
        need_boolean(*x.args[0]);
        check(*x.args[1]);
        check(*x.args[2]);
        const Unit& a = x.args[1]->unit;
        const Unit& b = x.args[2]->unit;
        x.unit = (a.numeric() && b.numeric()) ? unify(x, a, b) : a;
        if (!(a.numeric() && b.numeric()) && a != b) {
          unit_error(*x.args[2], "the same unit as the other branch (" + a.to_string() + ")", b);
        }
        return;
      }
      case Op::round: {
        // round(x, 0.01[, 'half_even']): rounding where a rule says so, with the mode it says.
        if (x.args.size() < 2 || x.args.size() > 3) {
          throw Error::expected(ErrorKind::parse, "round(value, quantum) or round(value, quantum, 'mode')",
                                std::to_string(x.args.size()) + " arguments", at(x));
        }
        check(*x.args[0]);
        if (!x.args[0]->unit.numeric()) unit_error(*x.args[0], "a number to round", x.args[0]->unit);
        const Expr& q = *x.args[1];
        const Decimal quantum = q.op == Op::number ? q.number.reduce() : Decimal();
        if (q.op != Op::number || quantum.coefficient_int64() != 1) {
          throw Error::expected(ErrorKind::parse, "a power of ten as the quantum (0.01, 1, 100)",
                                "'" + q.text + "'", at(q), "round()");
        }
        x.round_exponent = quantum.exponent();
        if (x.args.size() == 3) {
          const Expr& m = *x.args[2];
          if (m.op != Op::string) {
            throw Error::expected(ErrorKind::parse, "a quoted rounding mode ('half_up', 'half_even', ...)",
                                  "an expression", at(m), "round()");
          }
          try {
            x.round_mode = parse_rounding(m.text);
          } catch (const Error& e) {
            throw Error(ErrorKind::parse, e.message(), at(m));
          }
        }
        x.unit = x.args[0]->unit;
        return;
      }
      case Op::sum:
      case Op::count:
      case Op::any:
      case Op::all: {
        const bool is_sum = x.op == Op::sum;
        const std::size_t min_args = is_sum ? 2 : (x.op == Op::count ? 1 : 2);
        const std::size_t max_args = is_sum ? 3 : 2;
        if (x.args.size() < min_args || x.args.size() > max_args) {
          throw Error::expected(ErrorKind::parse,
                                std::to_string(min_args) + " to " + std::to_string(max_args) +
                                    " arguments",
                                std::to_string(x.args.size()), at(x), x.text + "()");
        }
        Expr& list = *x.args[0];
        if (list.op != Op::name) unit_error(list, "the name of a list fact", list.unit);
        if (record_ != nullptr) {
          throw Error(ErrorKind::parse, "list functions cannot be nested", at(x));
        }
        auto b = scope_.lookup(list.text);
        if (!b || b->unit.kind != UnitKind::list || b->ref != RefKind::fact) {
          throw Error::expected(ErrorKind::name, "the name of a list fact", "'" + list.text + "'",
                                at(list));
        }
        list.ref = RefKind::fact;
        list.slot = b->slot;
        list.unit = b->unit;
        record_ = b->list;
        for (std::size_t k = 1; k < x.args.size(); ++k) check(*x.args[k]);
        record_ = nullptr;
        if (is_sum) {
          if (!x.args[1]->unit.numeric()) unit_error(*x.args[1], "a number to add up", x.args[1]->unit);
          x.unit = x.args[1]->unit;
          if (x.args.size() == 3) need_boolean(*x.args[2]);
        } else if (x.op == Op::count) {
          if (x.args.size() == 2) need_boolean(*x.args[1]);
          x.unit = count_unit();
        } else {
          need_boolean(*x.args[1]);
          x.unit = boolean_unit();
        }
        return;
      }
      case Op::present: {
        Expr& a = *x.args[0];
        std::optional<Binding> b;
        if (record_ != nullptr) {
          for (std::size_t k = 0; k < record_->fields.size(); ++k) {
            if (record_->fields[k].name == a.text) b = Binding{RefKind::field, k, record_->fields[k].unit, nullptr, nullptr};
          }
        }
        if (!b) b = scope_.lookup(a.text);
        if (!b || (b->ref != RefKind::fact && b->ref != RefKind::field)) {
          throw Error::expected(ErrorKind::name, "the name of a fact", "'" + a.text + "'", at(a),
                                "present()");
        }
        a.ref = b->ref;
        a.slot = b->slot;
        a.unit = b->unit;
        x.unit = boolean_unit();
        return;
      }
      case Op::last_year: {
        Expr& a = *x.args[0];
        std::optional<Binding> b = record_ == nullptr ? scope_.lookup(a.text) : std::nullopt;
        if (!b || b->ref != RefKind::fact || b->slot == kYearSlot || b->unit.kind == UnitKind::list) {
          throw Error::expected(ErrorKind::name, "the name of a fact that is not a list (nor the year)",
                                "'" + a.text + "'", at(a), "last_year()");
        }
        a.ref = b->ref;
        a.slot = b->slot;
        a.unit = b->unit;
        a.enum_values = b->enum_values;
        x.slot = b->slot;
        x.unit = b->unit;
        x.enum_values = b->enum_values;
        return;
      }
      case Op::option: {
        Expr& a = *x.args[0];
        auto o = scope_.option(a.text);
        if (!o) {
          throw Error(ErrorKind::option, "'" + a.text + "' is not a declared option", at(a));
        }
        x.slot = o->first;
        x.unit = Unit{UnitKind::enumeration, {}};
        x.option_info = o->second;
        x.text = "option(" + a.text + ")";
        return;
      }
      case Op::and_:
      case Op::or_:
        for (auto& a : x.args) {
          check(*a);
          need_boolean(*a);
        }
        x.unit = boolean_unit();
        return;
      case Op::not_:
        check(*x.args[0]);
        need_boolean(*x.args[0]);
        x.unit = boolean_unit();
        return;
      case Op::compare: {
        check(*x.args[0]);
        check(*x.args[1]);
        Expr& a = *x.args[0];
        Expr& b = *x.args[1];
        if (x.cmp == Cmp::eq || x.cmp == Cmp::ne) {
          if (a.unit.numeric() || b.unit.numeric()) {
            unify_operands(x, a, b);
          } else {
            check_symbolic_equal(x, a, b);
          }
        } else {
          unify_operands(x, a, b);
        }
        x.unit = boolean_unit();
        return;
      }
      case Op::in: {
        Expr& a = *x.args[0];
        check(a);
        if (a.unit.kind != UnitKind::enumeration && a.unit.kind != UnitKind::text) {
          unit_error(a, "an enumeration or text", a.unit);
        }
        for (const auto& s : x.strings) check_enum_value(a, s, x);
        x.unit = boolean_unit();
        return;
      }
    }
  }

  void check_symbolic_equal(const Expr& at_expr, const Expr& a, const Expr& b) const {
    const bool a_str = a.op == Op::string;
    const bool b_str = b.op == Op::string;
    if (a_str && (b.unit.kind == UnitKind::enumeration || b.unit.kind == UnitKind::text)) {
      check_enum_value(b, a.text, at_expr);
      return;
    }
    if (b_str && (a.unit.kind == UnitKind::enumeration || a.unit.kind == UnitKind::text)) {
      check_enum_value(a, b.text, at_expr);
      return;
    }
    if (a.unit.kind != b.unit.kind) {
      throw Error::expected(ErrorKind::unit, "values of the same unit",
                            a.unit.to_string() + " with " + b.unit.to_string(), at(at_expr),
                            "in '" + e_.source + "'");
    }
  }

  void check_enum_value(const Expr& e, const std::string& value, const Expr& at_expr) const {
    std::vector<std::string> allowed;
    if (e.option_info != nullptr) {
      for (const auto& c : e.option_info->choices) allowed.push_back(c.first);
    } else if (e.enum_values != nullptr) {
      allowed = *e.enum_values;
    } else {
      return;
    }
    for (const auto& v : allowed) {
      if (v == value) return;
    }
    std::string list;
    for (const auto& v : allowed) list += (list.empty() ? "" : ", ") + v;
    throw Error::expected(e.option_info != nullptr ? ErrorKind::option : ErrorKind::name,
                          "one of " + list + " for '" + e.text + "'",
                          "'" + value + "'", at(at_expr), "in '" + e_.source + "'");
  }

  Unit multiply(const Expr& x, const Unit& a, const Unit& b) const {
    if (!a.numeric()) unit_error(x, "a number", a);
    if (!b.numeric()) unit_error(x, "a number", b);
    if (is_bare(a)) return b;
    if (is_bare(b)) return a;
    auto is = [](const Unit& u, UnitKind k) { return u.kind == k; };
    if ((is(a, UnitKind::money) && (is(b, UnitKind::rate) || is(b, UnitKind::count))) ||
        (is(b, UnitKind::money) && (is(a, UnitKind::rate) || is(a, UnitKind::count)))) {
      return money_unit();
    }
    if (is(a, UnitKind::rate) && is(b, UnitKind::rate)) return rate_unit();
    if ((is(a, UnitKind::rate) && is(b, UnitKind::count)) ||
        (is(a, UnitKind::count) && is(b, UnitKind::rate))) {
      return rate_unit();
    }
    if (is(a, UnitKind::count) && is(b, UnitKind::count)) return count_unit();
    if (is(a, UnitKind::measure) && (is(b, UnitKind::rate) || is(b, UnitKind::count))) return a;
    if (is(b, UnitKind::measure) && (is(a, UnitKind::rate) || is(a, UnitKind::count))) return b;
    throw Error::expected(ErrorKind::unit, "a product with a meaning (money × rate, count × money, rate × rate)",
                          a.to_string() + " × " + b.to_string(), at(x), "in '" + e_.source + "'");
  }

  void need_boolean(const Expr& x) const {
    if (x.unit.kind != UnitKind::boolean) unit_error(x, "a condition (true or false)", x.unit);
  }

  void arity(const Expr& x, std::size_t n) const {
    if (x.args.size() != n) {
      throw Error::expected(ErrorKind::parse, std::to_string(n) + " arguments",
                            std::to_string(x.args.size()), at(x), x.text + "()");
    }
  }

  Expression& e_;
  const Scope& scope_;
  Lexer lexer_;
  const FactDecl* record_ = nullptr;
};

}  // namespace

Expression parse_expression(const std::string& text, const Mark& mark) {
  if (text.size() > Limits::max_expression_bytes) {
    throw Error::expected(ErrorKind::limit,
                          "an expression of at most " + std::to_string(Limits::max_expression_bytes) +
                              " bytes",
                          std::to_string(text.size()) + " bytes", mark);
  }
  Expression e;
  e.source = text;
  e.mark = mark;
  Parser parser(text, mark);
  e.root = parser.parse();
  return e;
}

void check_expression(Expression& expression, const Scope& scope, std::optional<Unit> expected) {
  Checker checker(expression, scope);
  checker.check(*expression.root);
  if (expected) {
    const Unit& u = expression.root->unit;
    const bool ok = u == *expected || (u.kind == UnitKind::number && expected->numeric()) ||
                    (expected->kind == UnitKind::count && u.kind == UnitKind::number);
    if (!ok) checker.unit_error(*expression.root, expected->to_string(), u);
  }
}

// ---- evaluation ---------------------------------------------------------------------------------

std::string value_to_string(const Value& value) {
  struct V {
    std::string operator()(const Decimal& d) const { return d.to_string(); }
    std::string operator()(bool b) const { return b ? "true" : "false"; }
    std::string operator()(const std::string& s) const { return s; }
    std::string operator()(const Date& d) const { return d.to_string(); }
    std::string operator()(const std::vector<Record>* l) const {
      return std::to_string(l ? l->size() : 0) + " records";
    }
  };
  return std::visit(V{}, value);
}

Value to_value(const Scalar& scalar) {
  return std::visit([](const auto& v) -> Value { return v; }, scalar);
}

namespace {

const Decimal& num(const Value& v) { return std::get<Decimal>(v); }
bool truth(const Value& v) { return std::get<bool>(v); }

int compare_values(const Value& a, const Value& b) {
  if (std::holds_alternative<Decimal>(a)) return num(a).compare(num(b));
  if (std::holds_alternative<Date>(a)) {
    const Date& x = std::get<Date>(a);
    const Date& y = std::get<Date>(b);
    return x < y ? -1 : (y < x ? 1 : 0);
  }
  if (std::holds_alternative<bool>(a)) return truth(a) == truth(b) ? 0 : (truth(a) ? 1 : -1);
  const auto& s = std::get<std::string>(a);
  const auto& t = std::get<std::string>(b);
  return s < t ? -1 : (t < s ? 1 : 0);
}

const std::vector<Record>& list_of(const Expr& list, Env& env) {
  Value v = env.fact(list.slot);
  return *std::get<const std::vector<Record>*>(v);
}

struct RecordScope {
  Env& env;
  const Record* saved;
  RecordScope(Env& e, const Record* r) : env(e), saved(e.record) { env.record = r; }
  ~RecordScope() { env.record = saved; }
};

}  // namespace

Value evaluate(const Expr& x, Env& env) {
  switch (x.op) {
    case Op::number: return x.number;
    case Op::boolean: return x.boolean;
    case Op::string: return x.text;
    case Op::name: {
      Value v;
      switch (x.ref) {
        case RefKind::fact: v = env.fact(x.slot); break;
        case RefKind::parameter: v = env.parameter(x.slot); break;
        case RefKind::derived: v = env.derived(x.slot); break;
        case RefKind::field: {
          if (env.record == nullptr || x.slot >= env.record->size() || !(*env.record)[x.slot]) {
            const std::string list = env.record_decl ? env.record_decl->name : std::string("list");
            throw Error(ErrorKind::fact, "a record of '" + list + "' lacks the field '" + x.text + "'");
          }
          v = to_value(*(*env.record)[x.slot]);
          return v;  // fields are shown with their record, not noted one by one
        }
        case RefKind::unresolved:
          throw Error(ErrorKind::usage, "expression evaluated before it was checked");
      }
      if (x.ref == RefKind::fact) env.note(x.text, v);  // parameters and derived values note themselves
      return v;
    }
    case Op::add: return num(evaluate(*x.args[0], env)) + num(evaluate(*x.args[1], env));
    case Op::sub: return num(evaluate(*x.args[0], env)) - num(evaluate(*x.args[1], env));
    case Op::mul: return num(evaluate(*x.args[0], env)) * num(evaluate(*x.args[1], env));
    case Op::neg: return -num(evaluate(*x.args[0], env));
    case Op::min:
    case Op::max: {
      Decimal best = num(evaluate(*x.args[0], env));
      for (std::size_t k = 1; k < x.args.size(); ++k) {
        Decimal v = num(evaluate(*x.args[k], env));
        if (x.op == Op::min ? v < best : v > best) best = std::move(v);
      }
      return best;
    }
    case Op::round: return num(evaluate(*x.args[0], env)).quantize(x.round_exponent, x.round_mode);
    case Op::if_:
      return truth(evaluate(*x.args[0], env)) ? evaluate(*x.args[1], env) : evaluate(*x.args[2], env);
    case Op::sum: {
      const auto& records = list_of(*x.args[0], env);
      Decimal total;
      for (const auto& r : records) {
        RecordScope scope(env, &r);
        if (x.args.size() == 3 && !truth(evaluate(*x.args[2], env))) continue;
        total += num(evaluate(*x.args[1], env));
      }
      return total;
    }
    case Op::count: {
      const auto& records = list_of(*x.args[0], env);
      std::int64_t n = 0;
      for (const auto& r : records) {
        RecordScope scope(env, &r);
        if (x.args.size() == 2 && !truth(evaluate(*x.args[1], env))) continue;
        ++n;
      }
      return Decimal(n);
    }
    case Op::any:
    case Op::all: {
      const auto& records = list_of(*x.args[0], env);
      for (const auto& r : records) {
        RecordScope scope(env, &r);
        const bool v = truth(evaluate(*x.args[1], env));
        if (x.op == Op::any && v) return true;
        if (x.op == Op::all && !v) return false;
      }
      return x.op == Op::all;
    }
    case Op::present: {
      const Expr& a = *x.args[0];
      if (a.ref == RefKind::field) {
        return env.record != nullptr && a.slot < env.record->size() &&
               (*env.record)[a.slot].has_value();
      }
      return env.present(a.slot);
    }
    case Op::option: return env.option(x.slot);
    case Op::last_year: {
      Value v = env.last_year(x.slot);
      env.note("last_year(" + x.args[0]->text + ")", v);
      return v;
    }
    case Op::and_:
      return truth(evaluate(*x.args[0], env)) && truth(evaluate(*x.args[1], env));
    case Op::or_:
      return truth(evaluate(*x.args[0], env)) || truth(evaluate(*x.args[1], env));
    case Op::not_: return !truth(evaluate(*x.args[0], env));
    case Op::compare: {
      const int c = compare_values(evaluate(*x.args[0], env), evaluate(*x.args[1], env));
      switch (x.cmp) {
        case Cmp::ge: return c >= 0;
        case Cmp::gt: return c > 0;
        case Cmp::le: return c <= 0;
        case Cmp::lt: return c < 0;
        case Cmp::eq: return c == 0;
        case Cmp::ne: return c != 0;
      }
      return false;
    }
    case Op::in: {
      const Value v = evaluate(*x.args[0], env);
      const auto& s = std::get<std::string>(v);
      for (const auto& candidate : x.strings) {
        if (candidate == s) return true;
      }
      return false;
    }
  }
  return false;
}

Decimal evaluate_number(const Expression& e, Env& env) { return num(evaluate(*e.root, env)); }
bool evaluate_condition(const Expression& e, Env& env) { return truth(evaluate(*e.root, env)); }

}  // namespace subsidy::detail
