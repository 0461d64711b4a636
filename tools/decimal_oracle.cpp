// decimal_oracle: reads one operation per line on stdin and prints one result line each, so that
// tests in other languages can compare subsidy::Decimal with a reference implementation.
//
//   add A B | sub A B | mul A B         ->  the exact result
//   quantize A EXP MODE                 ->  A rounded (or padded) to 10^EXP
//   divide A B EXP MODE                 ->  A / B rounded to 10^EXP
//   compare A B                         ->  -1, 0 or 1
//
// Operands use the General Decimal Arithmetic syntax (1.23E+5, -0.005); MODE is any name
// parse_rounding accepts. Results are printed in plain notation (to_string); with --both, the
// scientific form follows after a space, so that the exponent of 1E+2 versus 100 is checked too.
// A failed line prints "ERROR <kind>: <message>".
#include <charconv>
#include <cstdint>
#include <iostream>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "subsidy/decimal.hpp"

namespace {

using subsidy::Decimal;
using subsidy::Error;
using subsidy::ErrorKind;

std::vector<std::string_view> split(std::string_view line) {
  std::vector<std::string_view> out;
  std::size_t i = 0;
  while (i < line.size()) {
    while (i < line.size() && (line[i] == ' ' || line[i] == '\t' || line[i] == '\r')) ++i;
    const std::size_t start = i;
    while (i < line.size() && line[i] != ' ' && line[i] != '\t' && line[i] != '\r') ++i;
    if (i > start) out.push_back(line.substr(start, i - start));
  }
  return out;
}

std::int32_t parse_exponent(std::string_view text) {
  std::int32_t value = 0;
  const char* first = text.data();
  if (!text.empty() && text.front() == '+') ++first;
  const auto res = std::from_chars(first, text.data() + text.size(), value);
  if (res.ec != std::errc() || res.ptr != text.data() + text.size()) {
    throw Error::expected(ErrorKind::parse, "an integer exponent", "\"" + std::string(text) + "\"");
  }
  return value;
}

[[noreturn]] void usage(std::string_view line) {
  throw Error(ErrorKind::usage, "cannot read \"" + std::string(line) +
                                    "\": expected add|sub|mul|compare A B, quantize A EXP MODE "
                                    "or divide A B EXP MODE");
}

std::string render(const Decimal& d, bool both) {
  return both ? d.to_string() + " " + d.to_scientific_string() : d.to_string();
}

std::string evaluate(std::string_view line, bool both) {
  const auto f = split(line);
  if (f.empty()) usage(line);
  const std::string_view op = f[0];
  const auto operand = [&](std::size_t i) { return Decimal::parse_scientific(f[i]); };
  if (op == "add" || op == "sub" || op == "mul" || op == "compare") {
    if (f.size() != 3) usage(line);
    const Decimal a = operand(1);
    const Decimal b = operand(2);
    if (op == "add") return render(a + b, both);
    if (op == "sub") return render(a - b, both);
    if (op == "mul") return render(a * b, both);
    return std::to_string(a.compare(b));
  }
  if (op == "quantize") {
    if (f.size() != 4) usage(line);
    return render(operand(1).quantize(parse_exponent(f[2]), subsidy::parse_rounding(f[3])), both);
  }
  if (op == "divide") {
    if (f.size() != 5) usage(line);
    return render(Decimal::divide(operand(1), operand(2), parse_exponent(f[3]),
                                  subsidy::parse_rounding(f[4])),
                  both);
  }
  usage(line);
}

}  // namespace

int main(int argc, char** argv) {
  std::ios::sync_with_stdio(false);
  const bool both = argc > 1 && std::string_view(argv[1]) == "--both";
  std::string line;
  std::string out;
  while (std::getline(std::cin, line)) {
    try {
      out += evaluate(line, both);
    } catch (const Error& e) {
      out += "ERROR ";
      out += subsidy::to_string(e.kind());
      out += ": ";
      out += e.message();
    }
    out += '\n';
    if (out.size() > (1u << 16)) {
      std::cout << out;
      out.clear();
    }
  }
  std::cout << out << std::flush;
  return 0;
}
