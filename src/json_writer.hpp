// A small writer of canonical JSON (fixed key order as written, decimals as strings, no
// whitespace), shared by the evaluation and audit outputs so both stay byte-stable.
#pragma once

#include <cstdint>
#include <string>

#include "subsidy/decimal.hpp"

namespace subsidy::detail {

inline void escape(std::string& out, const std::string& s) {
  out += '"';
  for (const char ch : s) {
    const auto c = static_cast<unsigned char>(ch);
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
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
  /// {"min": ..., "max": ...}: a band, written the same way wherever one appears.
  void range(const Decimal& min, const Decimal& max) {
    open('{');
    key("min");
    num(min);
    key("max");
    num(max);
    close('}');
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

}  // namespace subsidy::detail
