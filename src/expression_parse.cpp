// The expression language, first pass: text → tokens → syntax tree (Expr). Errors are located
// at the offending column of the rule file.
#include <array>
#include <cstring>

#include "document.hpp"
#include "expression.hpp"

namespace subsidy::detail {

Mark mark_at(const std::string& text, const Mark& mark, int pos) {
  Mark m = mark;
  if (m.line <= 0) return m;
  // Columns count characters, not bytes, so they line up with what an editor shows.
  int col = 0;
  for (int i = 0; i < pos && i < static_cast<int>(text.size()); ++i) {
    if ((static_cast<unsigned char>(text[static_cast<std::size_t>(i)]) & 0xC0) != 0x80) ++col;
  }
  m.column += col;
  return m;
}

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
constexpr std::array<const char*, 14> kWords = {"不低于", "不少于", "以上", "以下", "以内",
                                                "超过",   "不满",   "低于", "少于", "在",
                                                "且",     "或",     "非",   "×"};

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

  Mark at(int pos) const { return mark_at(s_, mark_, pos); }

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
          static const char* numerals[] = {"零", "一", "二", "两", "三", "四", "五",
                                           "六", "七", "八", "九", "十", "百", "点"};
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
          throw Error::expected(ErrorKind::parse, std::string("a closing ") + c,
                                "the end of the expression", at(pos));
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
      for (const char* p :
           {">=", "<=", "==", "!=", ">", "<", "+", "-", "*", "(", ")", ",", "[", "]"}) {
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
      if (uc >= 0xF0)
        len = 4;
      else if (uc >= 0xE0)
        len = 3;
      else if (uc >= 0xC0)
        len = 2;
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
    throw Error::expected(
        ErrorKind::parse, expected,
        t.kind == Tok::end ? std::string("the end of the expression") : "'" + t.text + "'",
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
    const bool negated = t.kind == Tok::ident && t.text == "not" &&
                         toks_[i_ + 1].kind == Tok::ident && toks_[i_ + 1].text == "in";
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
      static const std::pair<const char*, Op> functions[] = {{"min", Op::min},
                                                             {"max", Op::max},
                                                             {"if", Op::if_},
                                                             {"round", Op::round},
                                                             {"sum", Op::sum},
                                                             {"count", Op::count},
                                                             {"any", Op::any},
                                                             {"all", Op::all},
                                                             {"present", Op::present},
                                                             {"option", Op::option},
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

}  // namespace

Expression parse_expression(const std::string& text, const Mark& mark) {
  if (text.size() > Limits::max_expression_bytes) {
    throw Error::expected(
        ErrorKind::limit,
        "an expression of at most " + std::to_string(Limits::max_expression_bytes) + " bytes",
        std::to_string(text.size()) + " bytes", mark);
  }
  Expression e;
  e.source = text;
  e.mark = mark;
  Parser parser(text, mark);
  e.root = parser.parse();
  return e;
}

}  // namespace subsidy::detail
