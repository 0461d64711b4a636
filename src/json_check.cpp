// Strict JSON syntax (RFC 8259) for files named *.json. The tree itself is built by the YAML
// reader (JSON is YAML), but YAML also takes comments, trailing commas and unquoted words that no
// JSON writer produces: in a file that claims to be JSON they are a sign of hand editing or of a
// different format, and are refused at the character instead of being read some other way.
#include <cctype>
#include <string>
#include <vector>

#include "document.hpp"

namespace subsidy::detail {

namespace {

class JsonChecker {
 public:
  JsonChecker(const std::string& name, const std::string& text) : name_(name), text_(text) {}

  void run() {
    skip_space();
    value();
    skip_space();
    while (!stack_.empty() || pending_) {
      if (pending_) {
        pending_ = false;
        value();
      } else {
        after_value();
      }
      skip_space();
    }
    if (pos_ < text_.size()) fail("the end of the file after the JSON value");
  }

 private:
  // After a value inside a container: a comma and the next member, or the closing bracket.
  void after_value() {
    const char close = stack_.back() == '[' ? ']' : '}';
    if (pos_ >= text_.size()) fail(std::string("',' or '") + close + "'");
    const char c = text_[pos_];
    if (c == close) {
      advance();
      stack_.pop_back();
      return;
    }
    if (c != ',') fail(std::string("',' or '") + close + "'");
    advance();
    skip_space();
    if (pos_ < text_.size() && (text_[pos_] == ']' || text_[pos_] == '}')) {
      fail(stack_.back() == '[' ? "a value after ','" : "a key after ','",
           " (JSON allows no comma before a closing bracket)");
    }
    if (stack_.back() == '{') member_key();
    pending_ = true;
  }

  void member_key() {
    if (pos_ >= text_.size() || text_[pos_] != '"') fail("a quoted key");
    string();
    skip_space();
    if (pos_ >= text_.size() || text_[pos_] != ':') fail("':' after the key");
    advance();
    skip_space();
  }

  // One value; a container is opened (its members follow through after_value).
  void value() {
    if (pos_ >= text_.size()) fail("a value");
    const char c = text_[pos_];
    if (c == '[' || c == '{') {
      advance();
      skip_space();
      const char close = c == '[' ? ']' : '}';
      if (pos_ < text_.size() && text_[pos_] == close) {
        advance();
        return;
      }
      stack_.push_back(c);
      if (c == '{') member_key();
      pending_ = true;
      return;
    }
    if (c == '"') return string();
    if (c == '-' || (c >= '0' && c <= '9')) return number();
    for (const char* word : {"true", "false", "null"}) {
      const std::string w(word);
      if (text_.compare(pos_, w.size(), w) == 0) {
        for (std::size_t i = 0; i < w.size(); ++i) advance();
        return;
      }
    }
    fail("a JSON value (a string, number, object, array, true, false or null)");
  }

  void string() {
    advance();  // the opening quote
    while (pos_ < text_.size() && text_[pos_] != '"') {
      const auto c = static_cast<unsigned char>(text_[pos_]);
      if (c < 0x20)
        fail("a closing '\"' on the same line", " (JSON strings hold no raw line breaks or tabs)");
      if (c == '\\') {
        advance();
        if (pos_ >= text_.size()) break;
        const char e = text_[pos_];
        if (e == 'u') {
          for (int k = 0; k < 4; ++k) {
            advance();
            if (pos_ >= text_.size() || !std::isxdigit(static_cast<unsigned char>(text_[pos_]))) {
              fail("four hexadecimal digits after \\u");
            }
          }
        } else if (std::string("\"\\/bfnrt").find(e) == std::string::npos) {
          fail("a JSON escape (\\\" \\\\ \\/ \\b \\f \\n \\r \\t \\uXXXX)");
        }
      }
      advance();
    }
    if (pos_ >= text_.size()) fail("a closing '\"'");
    advance();
  }

  void number() {
    auto digits = [&] {
      const std::size_t start = pos_;
      while (pos_ < text_.size() && text_[pos_] >= '0' && text_[pos_] <= '9') advance();
      if (pos_ == start) fail("a digit");
    };
    if (text_[pos_] == '-') advance();
    if (pos_ < text_.size() && text_[pos_] == '0') {
      advance();
    } else {
      digits();
    }
    if (pos_ < text_.size() && text_[pos_] == '.') {
      advance();
      digits();
    }
    if (pos_ < text_.size() && (text_[pos_] == 'e' || text_[pos_] == 'E')) {
      advance();
      if (pos_ < text_.size() && (text_[pos_] == '+' || text_[pos_] == '-')) advance();
      digits();
    }
  }

  void skip_space() {
    while (pos_ < text_.size() && (text_[pos_] == ' ' || text_[pos_] == '\n' ||
                                   text_[pos_] == '\r' || text_[pos_] == '\t')) {
      advance();
    }
  }

  void advance() {
    const char c = text_[pos_++];
    if (c == '\n') {
      ++line_;
      column_ = 1;
    } else if ((static_cast<unsigned char>(c) & 0xC0) != 0x80) {
      ++column_;
    }
  }

  [[noreturn]] void fail(const std::string& expected, std::string hint = {}) const {
    std::string found = "the end of the file";
    if (pos_ < text_.size()) {
      const char c = text_[pos_];
      std::size_t len = 1;
      while (pos_ + len < text_.size() &&
             (static_cast<unsigned char>(text_[pos_ + len]) & 0xC0) == 0x80)
        ++len;
      found = "'" + text_.substr(pos_, len) + "'";
      if (hint.empty() && (c == '#' || (c == '/' && pos_ + 1 < text_.size() &&
                                        (text_[pos_ + 1] == '/' || text_[pos_ + 1] == '*')))) {
        hint = " (JSON has no comments)";
      }
    }
    throw Error::expected(ErrorKind::parse, expected, found + hint,
                          Mark{name_, line_, column_, {}});
  }

  const std::string& name_;
  const std::string& text_;
  std::size_t pos_ = 0;
  int line_ = 1, column_ = 1;
  std::vector<char> stack_;  // open containers, '[' or '{'
  bool pending_ = false;     // a value is due next (after '[', ',' or ':')
};

}  // namespace

bool named_json(const std::string& name) {
  if (name.size() < 5) return false;
  std::string ext = name.substr(name.size() - 5);
  for (char& c : ext) c = static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
  return ext == ".json";
}

void check_strict_json(const std::string& name, const std::string& text) {
  JsonChecker(name, text).run();
}

}  // namespace subsidy::detail
