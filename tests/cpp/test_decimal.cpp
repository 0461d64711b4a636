// Unit tests of subsidy::Decimal: parsing policy amounts, the rounding modes, formatting, ordering,
// the overflow limits and the fixed-point interchange.
#include <doctest/doctest.h>

#include <array>
#include <boost/multiprecision/cpp_int.hpp>
#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include "subsidy/decimal.hpp"

namespace {

using subsidy::Amount;
using subsidy::AmountUnit;
using subsidy::Decimal;
using subsidy::Error;
using subsidy::ErrorKind;
using subsidy::Rounding;

// Binary floating point cannot reach a Decimal, not even explicitly.
static_assert(!std::is_constructible_v<Decimal, double>);
static_assert(!std::is_constructible_v<Decimal, float>);
static_assert(!std::is_constructible_v<Decimal, long double>);
static_assert(!std::is_convertible_v<double, Decimal>);
static_assert(!std::is_constructible_v<Decimal, bool>);
static_assert(std::is_constructible_v<Decimal, int>);
static_assert(std::is_constructible_v<Decimal, std::int64_t>);
static_assert(std::is_constructible_v<Decimal, unsigned long long>);

Decimal d(std::string_view text) { return Decimal::parse(text); }
Decimal sci(std::string_view text) { return Decimal::parse_scientific(text); }
Decimal make(long long coefficient, std::int32_t exponent) {
  return Decimal(coefficient, exponent);
}
// Big coefficients come from an independent big-integer type, as text.
namespace mp = boost::multiprecision;
using BigInt = mp::number<mp::cpp_int_backend<>, mp::et_off>;
BigInt pow10(unsigned n) { return boost::multiprecision::pow(BigInt(10), n); }
Decimal big(const BigInt& coefficient, std::int32_t exponent) {
  return Decimal::from_coefficient(coefficient.str(), exponent);
}

// The message of the Error the call throws, after checking its kind.
template <class F>
std::string error_of(F&& f, ErrorKind kind) {
  try {
    f();
  } catch (const Error& e) {
    CHECK(e.kind() == kind);
    return e.message();
  }
  FAIL("no error thrown");
  return {};
}

std::string parse_error(std::string_view text) {
  return error_of([&] { (void)Decimal::parse(text); }, ErrorKind::parse);
}

bool contains(const std::string& haystack, std::string_view needle) {
  return haystack.find(needle) != std::string::npos;
}

constexpr std::array<Rounding, 8> kModes = {
    Rounding::half_up, Rounding::half_even, Rounding::half_down, Rounding::down,
    Rounding::up,      Rounding::floor,     Rounding::ceiling,   Rounding::zero_five_up};

// Chinese numerals for 0..100 as policy texts write them: 零, 七, 十, 十五, 二十, 四十二, 一百.
std::string chinese(int n) {
  static const std::array<const char*, 10> kDigits = {"零", "一", "二", "三", "四",
                                                      "五", "六", "七", "八", "九"};
  if (n == 100) return "一百";
  if (n < 10) return kDigits[static_cast<std::size_t>(n)];
  std::string out = n < 20 ? "" : kDigits[static_cast<std::size_t>(n / 10)];
  out += "十";
  if (n % 10 != 0) out += kDigits[static_cast<std::size_t>(n % 10)];
  return out;
}

}  // namespace

// ---- parsing ------------------------------------------------------------------------------------

TEST_CASE("parse: plain amounts keep every written digit") {
  CHECK(d("1234.56").same_representation(make(123456, -2)));
  CHECK(d("-0.005").same_representation(make(-5, -3)));
  CHECK(d("+3").same_representation(make(3, 0)));
  CHECK(d("1,234,567.89").same_representation(make(123456789, -2)));
  CHECK(d("1,000").same_representation(make(1000, 0)));
  CHECK(d("999,999,999").same_representation(make(999999999, 0)));
  CHECK(d("007").same_representation(make(7, 0)));
  CHECK(d("0.00").same_representation(make(0, -2)));
  CHECK(d("  42\t\n").same_representation(make(42, 0)));
  CHECK(d("123456789012345678901234567890.25").to_string() == "123456789012345678901234567890.25");
}

TEST_CASE("parse: there is no negative zero") {
  CHECK(d("-0").signum() == 0);
  CHECK(d("-0.00").to_string() == "0.00");
  CHECK(d("-0") == d("0"));
}

TEST_CASE("parse: Chinese multipliers and 元") {
  CHECK(d("30万").same_representation(make(30, 4)));
  CHECK(d("30万").to_string() == "300000");
  CHECK(d("1.2亿").to_string() == "120000000");
  CHECK(d("5千").to_string() == "5000");
  CHECK(d("100万元").to_string() == "1000000");
  CHECK(d("200元").to_string() == "200");
  CHECK(d("1.5千元").to_string() == "1500");
  CHECK(d("2亿元").to_string() == "200000000");
  CHECK(d("-1,234.5万元").to_string() == "-12345000");
  CHECK(d("0.0001万").to_string() == "1");
}

TEST_CASE("parse: percentages are rates with exponent -2 relative to the text") {
  CHECK(d("50%").same_representation(make(50, -2)));
  CHECK(d("50%").to_string() == "0.50");
  CHECK(d("12.5%").same_representation(make(125, -3)));
  CHECK(d("100%").to_string() == "1.00");
  CHECK(d("-5%").to_string() == "-0.05");
  CHECK(d("0.01%").to_string() == "0.0001");
  CHECK(d("百分之一").same_representation(make(1, -2)));
  CHECK(d("百分之五十").same_representation(make(50, -2)));
  CHECK(d("百分之十二点五").same_representation(make(125, -3)));
  CHECK(d("百分之十").to_string() == "0.10");
  CHECK(d("百分之二十五").to_string() == "0.25");
  CHECK(d("百分之九十九").to_string() == "0.99");
  CHECK(d("百分之百").to_string() == "1.00");
  CHECK(d("百分之一百").to_string() == "1.00");
  CHECK(d("百分之一百零五").to_string() == "1.05");
  CHECK(d("百分之两").to_string() == "0.02");
  CHECK(d("百分之零").to_string() == "0.00");
  CHECK(d("百分之零点五").to_string() == "0.005");
  CHECK(d("百分之三点零五").to_string() == "0.0305");
  CHECK(d("百分之12.5").same_representation(make(125, -3)));
  CHECK(d("百分之50").to_string() == "0.50");
  CHECK(d("-百分之五").to_string() == "-0.05");
}

TEST_CASE("parse: 百分之 with every Chinese numeral from 零 to 一百") {
  for (int n = 0; n <= 100; ++n) {
    const std::string text = "百分之" + chinese(n);
    INFO(text);
    CHECK(d(text).same_representation(make(n, -2)));
    CHECK(d(text) == d(std::to_string(n) + "%"));
  }
}

TEST_CASE("parse_amount reports the unit") {
  const auto unit = [](std::string_view text) { return Decimal::parse_amount(text).unit; };
  CHECK(unit("1234.56") == AmountUnit::number);
  CHECK(unit("30万") == AmountUnit::number);
  CHECK(unit("200元") == AmountUnit::yuan);
  CHECK(unit("30万元") == AmountUnit::yuan);
  CHECK(unit("1亿元") == AmountUnit::yuan);
  CHECK(unit("5千元") == AmountUnit::yuan);
  CHECK(unit("50%") == AmountUnit::rate);
  CHECK(unit("百分之一") == AmountUnit::rate);
  const Amount a = Decimal::parse_amount("30万元");
  CHECK(a.value.to_string() == "300000");
}

TEST_CASE("parse: malformed amounts quote the input and say what was expected") {
  struct Bad {
    std::string_view text;
    std::string_view why;  // a phrase the message must contain
  };
  const std::vector<Bad> cases = {
      {"", "empty"},
      {"   ", "empty"},
      {"12.5.3", "more than one decimal point"},
      {"1e5", "exponent notation is not accepted; write 100000"},
      {"1E+5", "exponent notation"},
      {"NaN", "NaN and infinities"},
      {"nan", "NaN and infinities"},
      {"inf", "NaN and infinities"},
      {"-Infinity", "NaN and infinities"},
      {"1万亿万", "at most one of 千, 万 and 亿"},
      {"1万万", "at most one of"},
      {"万", "a number is needed before 万"},
      {"元", "a number is needed before 元"},
      {"%", "a number is needed before %"},
      {"1,23", "groups of three"},
      {"1,2345", "groups of three"},
      {"1234,567", "groups of three"},
      {"1,", "groups of three"},
      {",123", "unexpected"},
      {"1.234,5", "only before the decimal point"},
      {"1.", "a digit is needed after the decimal point"},
      {".5", "a digit is needed before the decimal point"},
      {"--1", "more than one sign"},
      {"+-1", "more than one sign"},
      {"-", "a number is needed after the sign"},
      {"1-", "a sign may only come first"},
      {"1 2", "unexpected space"},
      {"12 万", "unexpected space"},
      {"１２３", "unexpected"},
      {"12％", "unexpected"},
      {"12abc", "unexpected \"a\""},
      {"50%%", "wrong order or repeated"},
      {"5万%", "wrong order or repeated"},
      {"5元万", "wrong order or repeated"},
      {"元5", "a number is needed before 元"},
      {"百分之", "a number is needed after 百分之"},
      {"百分之一二", "two numerals in a row"},
      {"百分之一百五", "ambiguous"},
      {"百分之十点", "a digit is needed after 点"},
      {"百分之五%", "unexpected"},
      {"百分之12.", "a digit is needed after the decimal point"},
      {"百分之百百", "out of order"},
      {"百分之零十", "零 cannot multiply"},
      {"百分之十零", "零 must be followed by a digit"},
      {"百分之abc", "unexpected"},
  };
  for (const auto& c : cases) {
    INFO("input: \"" << c.text << "\"");
    const std::string message = parse_error(c.text);
    CHECK(contains(message, "expected a decimal amount such as 1234.56, 30万 or 50%"));
    CHECK(contains(message, "found \"" + std::string(c.text) + "\""));
    CHECK(contains(message, c.why));
  }
  CHECK(parse_error("12.5.3") ==
        "expected a decimal amount such as 1234.56, 30万 or 50%, found \"12.5.3\" (more than one "
        "decimal point)");
}

TEST_CASE("parse: control characters are escaped in the message") {
  const std::string message = parse_error(std::string_view("1\x01", 2));
  CHECK(contains(message, "found \"1\\x01\""));
}

TEST_CASE("parse: the error's what() carries the kind") {
  try {
    (void)d("abc");
    FAIL("no error");
  } catch (const Error& e) {
    CHECK(contains(e.what(), "error[parse]"));
  }
}

TEST_CASE("parse_scientific: the GDA to-number syntax") {
  CHECK(sci("1.23E+5").same_representation(make(123, 3)));
  CHECK(sci("1.23e5").same_representation(make(123, 3)));
  CHECK(sci("-0E-3").same_representation(make(0, -3)));
  CHECK(sci(".5").same_representation(make(5, -1)));
  CHECK(sci("5.").same_representation(make(5, 0)));
  CHECK(sci("+12").same_representation(make(12, 0)));
  CHECK(sci("0.00").same_representation(make(0, -2)));
  CHECK(sci("12E-0").same_representation(make(12, 0)));
  CHECK(sci("1E+999999").exponent() == 999999);
  for (std::string_view bad : {"NaN", "sNaN", "-nan123", "Infinity", "-Inf", "inf"}) {
    INFO(bad);
    const std::string message =
        error_of([&] { (void)Decimal::parse_scientific(bad); }, ErrorKind::parse);
    CHECK(contains(message, "NaN and infinities"));
    CHECK(contains(message, "found \"" + std::string(bad) + "\""));
  }
  for (std::string_view bad :
       {"", "1E", "E5", "1.2.3", " 1", "1 ", "1e+", "--1", ".", "1,000", "30万"}) {
    INFO(bad);
    const std::string message =
        error_of([&] { (void)Decimal::parse_scientific(bad); }, ErrorKind::parse);
    CHECK(contains(message, "General Decimal Arithmetic syntax"));
    CHECK(contains(message, "found \"" + std::string(bad) + "\""));
  }
  const std::string message =
      error_of([] { (void)Decimal::parse_scientific("1E+1000000"); }, ErrorKind::overflow);
  CHECK(contains(message, "parse"));
  CHECK(contains(message, "exceeds"));
  (void)error_of([] { (void)Decimal::parse_scientific("1E-99999999999999999999"); },
                 ErrorKind::overflow);
}

// ---- rounding -----------------------------------------------------------------------------------

TEST_CASE("rounding: every mode on ties and non-ties, positive and negative") {
  struct Row {
    const char* value;
    std::int32_t exponent;
    // half_up, half_even, half_down, down, up, floor, ceiling, 05up
    std::array<const char*, 8> expected;
  };
  const std::vector<Row> rows = {
      {"2.5", 0, {"3", "2", "2", "2", "3", "2", "3", "2"}},
      {"-2.5", 0, {"-3", "-2", "-2", "-2", "-3", "-3", "-2", "-2"}},
      {"3.5", 0, {"4", "4", "3", "3", "4", "3", "4", "3"}},
      {"-3.5", 0, {"-4", "-4", "-3", "-3", "-4", "-4", "-3", "-3"}},
      {"2.45", -1, {"2.5", "2.4", "2.4", "2.4", "2.5", "2.4", "2.5", "2.4"}},
      {"-2.45", -1, {"-2.5", "-2.4", "-2.4", "-2.4", "-2.5", "-2.5", "-2.4", "-2.4"}},
      {"2.55", -1, {"2.6", "2.6", "2.5", "2.5", "2.6", "2.5", "2.6", "2.6"}},
      {"-2.55", -1, {"-2.6", "-2.6", "-2.5", "-2.5", "-2.6", "-2.6", "-2.5", "-2.6"}},
      {"2.51", 0, {"3", "3", "3", "2", "3", "2", "3", "2"}},
      {"-2.51", 0, {"-3", "-3", "-3", "-2", "-3", "-3", "-2", "-2"}},
      {"2.49", 0, {"2", "2", "2", "2", "3", "2", "3", "2"}},
      {"-2.49", 0, {"-2", "-2", "-2", "-2", "-3", "-3", "-2", "-2"}},
      {"0.005", -2, {"0.01", "0.00", "0.00", "0.00", "0.01", "0.00", "0.01", "0.01"}},
      {"-0.005", -2, {"-0.01", "0.00", "0.00", "0.00", "-0.01", "-0.01", "0.00", "-0.01"}},
      {"0.5", 0, {"1", "0", "0", "0", "1", "0", "1", "1"}},
      {"1.05", -1, {"1.1", "1.0", "1.0", "1.0", "1.1", "1.0", "1.1", "1.1"}},
      {"1.15", -1, {"1.2", "1.2", "1.1", "1.1", "1.2", "1.1", "1.2", "1.1"}},
      {"1234.565",
       -2,
       {"1234.57", "1234.56", "1234.56", "1234.56", "1234.57", "1234.56", "1234.57", "1234.56"}},
      {"2.50", -1, {"2.5", "2.5", "2.5", "2.5", "2.5", "2.5", "2.5", "2.5"}},
      {"0.0001", 2, {"0", "0", "0", "0", "1E+2", "0", "1E+2", "1E+2"}},
      {"-0.0001", 2, {"0", "0", "0", "0", "-1E+2", "-1E+2", "0", "-1E+2"}},
      // Beyond 64 bits: the arbitrary-precision path must decide the same way.
      {"123456789012345678901234567890.5",
       0,
       {"123456789012345678901234567891", "123456789012345678901234567890",
        "123456789012345678901234567890", "123456789012345678901234567890",
        "123456789012345678901234567891", "123456789012345678901234567890",
        "123456789012345678901234567891", "123456789012345678901234567891"}},
      {"-123456789012345678901234567895.5",
       0,
       {"-123456789012345678901234567896", "-123456789012345678901234567896",
        "-123456789012345678901234567895", "-123456789012345678901234567895",
        "-123456789012345678901234567896", "-123456789012345678901234567896",
        "-123456789012345678901234567895", "-123456789012345678901234567896"}},
      {"99999999999999999999.99999999999999999999",
       -1,
       {"100000000000000000000.0", "100000000000000000000.0", "100000000000000000000.0",
        "99999999999999999999.9", "100000000000000000000.0", "99999999999999999999.9",
        "100000000000000000000.0", "99999999999999999999.9"}},
  };
  for (const auto& row : rows) {
    for (std::size_t m = 0; m < kModes.size(); ++m) {
      INFO(row.value << " to 10^" << row.exponent << " by " << subsidy::to_string(kModes[m]));
      const Decimal r = sci(row.value).quantize(row.exponent, kModes[m]);
      CHECK(r.exponent() == row.exponent);
      CHECK(r.to_scientific_string() ==
            sci(row.expected[m]).quantize(row.exponent).to_scientific_string());
      CHECK(r == sci(row.expected[m]));
    }
  }
}

TEST_CASE("quantize pads and rounds across many digits") {
  CHECK(d("2.5").quantize(-3).to_string() == "2.500");
  CHECK(d("-2.5").quantize(-3).to_string() == "-2.500");
  CHECK(d("0").quantize(-2).to_string() == "0.00");
  CHECK(d("0.00").quantize(3).to_scientific_string() == "0E+3");
  CHECK(d("1.23").quantize(5, Rounding::up).to_scientific_string() == "1E+5");
  CHECK(d("1.23").quantize(5, Rounding::down).to_string() == "0");
  CHECK(d("-1.23").quantize(40, Rounding::floor).to_scientific_string() == "-1E+40");
  CHECK(d("1.23").quantize(40, Rounding::half_up).is_zero());
  CHECK(d("1").quantize(-30).to_string() == "1.000000000000000000000000000000");
  CHECK(d("9223372036854775807").quantize(-1).to_string() == "9223372036854775807.0");
  CHECK(d("-9223372036854775808").quantize(1, Rounding::half_even).to_scientific_string() ==
        "-9.22337203685477581E+18");
  CHECK(d("18446744073709551615").quantize(19, Rounding::half_up).to_scientific_string() ==
        "2E+19");
  CHECK(d("18446744073709551615").quantize(20, Rounding::half_up).to_scientific_string() ==
        "0E+20");
  CHECK(d("18446744073709551615").quantize(20, Rounding::ceiling).to_scientific_string() ==
        "1E+20");
}

TEST_CASE("to_fen rounds to 0.01 by half_up unless told otherwise") {
  CHECK(d("1234.565").to_fen().to_string() == "1234.57");
  CHECK(d("1234.565").to_fen(Rounding::half_even).to_string() == "1234.56");
  CHECK(d("0.005").to_fen().to_string() == "0.01");
  CHECK(d("-0.005").to_fen().to_string() == "-0.01");
  CHECK(d("7").to_fen().to_string() == "7.00");
}

TEST_CASE("rounding names") {
  for (const Rounding mode : kModes) {
    CHECK(subsidy::parse_rounding(subsidy::to_string(mode)) == mode);
  }
  CHECK(subsidy::to_string(Rounding::zero_five_up) == "05up");
  CHECK(subsidy::to_string(Rounding::half_even) == "half_even");
  CHECK(subsidy::parse_rounding("ROUND_HALF_UP") == Rounding::half_up);
  CHECK(subsidy::parse_rounding("ROUND_HALF_EVEN") == Rounding::half_even);
  CHECK(subsidy::parse_rounding("ROUND_HALF_DOWN") == Rounding::half_down);
  CHECK(subsidy::parse_rounding("ROUND_DOWN") == Rounding::down);
  CHECK(subsidy::parse_rounding("ROUND_UP") == Rounding::up);
  CHECK(subsidy::parse_rounding("ROUND_FLOOR") == Rounding::floor);
  CHECK(subsidy::parse_rounding("ROUND_CEILING") == Rounding::ceiling);
  CHECK(subsidy::parse_rounding("ROUND_05UP") == Rounding::zero_five_up);
  CHECK(subsidy::parse_rounding("四舍五入") == Rounding::half_up);
  CHECK(subsidy::parse_rounding("四舍六入五成双") == Rounding::half_even);
  CHECK(subsidy::parse_rounding("截尾") == Rounding::down);
  CHECK(subsidy::parse_rounding("进一") == Rounding::up);
  const std::string message =
      error_of([] { (void)subsidy::parse_rounding("nearest"); }, ErrorKind::parse);
  CHECK(contains(message, "found \"nearest\""));
  CHECK(contains(message, "half_up"));
  CHECK(contains(message, "四舍五入"));
}

// ---- arithmetic ---------------------------------------------------------------------------------

TEST_CASE("add, subtract, multiply are exact with GDA exponents") {
  CHECK((d("1.1") + d("2.22")).same_representation(make(332, -2)));
  CHECK((d("1") + d("1.00")).to_string() == "2.00");
  CHECK((sci("1E+2") + d("1")).same_representation(make(101, 0)));
  CHECK((sci("1E+2") + sci("1E+3")).same_representation(make(11, 2)));
  CHECK((d("0.1") - d("0.1")).to_string() == "0.0");
  CHECK((d("0.1") - d("0.1")).signum() == 0);
  CHECK((d("5") - d("7.5")).to_string() == "-2.5");
  CHECK((d("1.10") * d("2.0")).same_representation(make(2200, -3)));
  CHECK((d("0.1") * d("0.1")).to_string() == "0.01");
  CHECK((d("-2") * d("3")).to_string() == "-6");
  CHECK((d("0") * d("-5.5")).to_string() == "0.0");
  CHECK((d("0") * d("-5.5")).signum() == 0);
  CHECK((d("1234567.89") * d("12.5%")).to_string() == "154320.98625");
  CHECK((d("30万") * d("百分之五十")).to_string() == "150000");
  const Decimal big = d("99999999999999999999");
  CHECK((big * big).to_string() == "9999999999999999999800000000000000000001");
  CHECK((big + d("0.00000000000000000001")).to_string() ==
        "99999999999999999999.00000000000000000001");
  Decimal total;
  total += d("1.50");
  total -= d("0.25");
  total *= d("2");
  CHECK(total.to_string() == "2.50");
  CHECK((-d("1.50")).to_string() == "-1.50");
  CHECK((-d("0")).signum() == 0);
  CHECK(d("-3.25").abs().to_string() == "3.25");
}

TEST_CASE("64-bit boundaries hand over to arbitrary precision exactly") {
  const Decimal max(std::numeric_limits<std::int64_t>::max());
  const Decimal min(std::numeric_limits<std::int64_t>::min());
  CHECK((max + Decimal(1)).to_string() == "9223372036854775808");
  CHECK((min - Decimal(1)).to_string() == "-9223372036854775809");
  CHECK((Decimal(0) - min).to_string() == "9223372036854775808");
  CHECK((min * Decimal(-1)).to_string() == "9223372036854775808");
  CHECK((max * max).to_string() == "85070591730234615847396907784232501249");
  CHECK((max + sci("1E-18")).to_string() == "9223372036854775807.000000000000000001");
  CHECK(Decimal(std::numeric_limits<std::uint64_t>::max()).to_string() == "18446744073709551615");
  CHECK((-min).to_string() == "9223372036854775808");
}

TEST_CASE("the coefficient is exposed as digits and, when it fits, as int64") {
  constexpr std::int64_t kMin = std::numeric_limits<std::int64_t>::min();
  CHECK(d("-1234.50").coefficient_string() == "-123450");
  CHECK(d("0.00").coefficient_string() == "0");
  CHECK(d("-1234.50").coefficient_int64() == -123450);
  CHECK(Decimal(kMin).coefficient_int64() == kMin);
  CHECK_FALSE((Decimal(kMin) - Decimal(1)).coefficient_int64().has_value());
  CHECK_FALSE((-Decimal(kMin)).coefficient_int64().has_value());
  CHECK((-Decimal(kMin)).abs().coefficient_string() == "9223372036854775808");
  CHECK(Decimal(kMin).abs().coefficient_string() == "9223372036854775808");
  // A big value that comes back into int64 range compares and prints as if it never left.
  const Decimal back = (Decimal(kMin) - Decimal(1)) + Decimal(1);
  CHECK(back.coefficient_int64() == kMin);
  CHECK(back.same_representation(Decimal(kMin)));
}

TEST_CASE("from_coefficient and from_magnitude build any coefficient exactly") {
  const BigInt big_value = pow10(30) * 7 + 123;
  CHECK(Decimal::from_coefficient(big_value.str(), -2).to_string() ==
        "70000000000000000000000000001.23");
  CHECK(Decimal::from_coefficient("-" + big_value.str(), 3).coefficient_string() ==
        "-" + big_value.str());
  CHECK(Decimal::from_coefficient("-00042", -1).same_representation(make(-42, -1)));
  CHECK(Decimal::from_coefficient("9223372036854775807", 0).coefficient_int64().has_value());
  CHECK_FALSE(Decimal::from_coefficient("9223372036854775808", 0).coefficient_int64().has_value());
  for (const char* bad : {"", "-", "+1", "1.5", "1e3", " 1", "12a"}) {
    CAPTURE(bad);
    CHECK(contains(error_of([&] { (void)Decimal::from_coefficient(bad, 0); }, ErrorKind::parse),
                   "a coefficient of decimal digits"));
  }
  CHECK(contains(error_of([&] { (void)Decimal::from_coefficient("1", Decimal::kMaxExponent + 1); },
                          ErrorKind::overflow),
                 "exponent"));

  // (2^64 + 5) and the largest 128-bit magnitude, against the independent big integer.
  const BigInt two64 = BigInt(1) << 64;
  CHECK(Decimal::from_magnitude(false, 1, 5, -2).coefficient_string() == (two64 + 5).str());
  CHECK(Decimal::from_magnitude(true, ~std::uint64_t{0}, ~std::uint64_t{0}, 0).to_string() ==
        "-" + ((BigInt(1) << 128) - 1).str());
  CHECK(Decimal::from_magnitude(true, 0, std::uint64_t{1} << 63, 0).coefficient_int64() ==
        std::numeric_limits<std::int64_t>::min());
  CHECK(Decimal::from_magnitude(false, 0, 12345, -2).same_representation(make(12345, -2)));
  CHECK(Decimal::from_magnitude(true, 0, 0, 0).is_zero());
}

TEST_CASE("divide rounds the true quotient to the named exponent") {
  const auto div = [](const char* a, const char* b, std::int32_t e, Rounding m) {
    return Decimal::divide(d(a), d(b), e, m).to_string();
  };
  CHECK(div("1", "3", -4, Rounding::half_up) == "0.3333");
  CHECK(div("2", "3", -4, Rounding::half_up) == "0.6667");
  CHECK(div("-2", "3", -4, Rounding::half_up) == "-0.6667");
  CHECK(div("2", "-3", -2, Rounding::floor) == "-0.67");
  CHECK(div("-2", "3", -2, Rounding::ceiling) == "-0.66");
  CHECK(div("-2", "-3", -2, Rounding::down) == "0.66");
  CHECK(div("1", "8", -2, Rounding::half_even) == "0.12");
  CHECK(div("1", "8", -2, Rounding::half_up) == "0.13");
  CHECK(div("-1", "8", -2, Rounding::half_up) == "-0.13");
  CHECK(div("-1", "8", -2, Rounding::half_down) == "-0.12");
  CHECK(div("10", "4", 0, Rounding::half_even) == "2");
  CHECK(div("7", "2", 0, Rounding::half_even) == "4");
  CHECK(div("6", "2", -2, Rounding::half_up) == "3.00");
  CHECK(div("0", "7", -3, Rounding::up) == "0.000");
  CHECK(div("1", "7", -50, Rounding::down) ==
        "0.14285714285714285714285714285714285714285714285714");
  CHECK(div("100000000000000000000", "3", 0, Rounding::half_up) == "33333333333333333333");
  CHECK(div("1", "3", 2, Rounding::up) == "100");
  CHECK(Decimal::divide(d("1"), sci("1E+30"), 0, Rounding::up).to_string() == "1");
  CHECK(Decimal::divide(d("1"), sci("1E+30"), 0, Rounding::half_up).to_string() == "0");
  CHECK(Decimal::divide(d("-1"), sci("1E+30"), 0, Rounding::floor).to_string() == "-1");
  CHECK(Decimal::divide(d("1234567.89"), d("3"), -2, Rounding::half_up).to_string() == "411522.63");
}

TEST_CASE("division by zero is an error of its own kind") {
  const std::string message = error_of(
      [] { (void)Decimal::divide(d("5"), d("0.00"), -2, Rounding::half_up); }, ErrorKind::division);
  CHECK(contains(message, "division by zero"));
  (void)error_of([] { (void)Decimal::divide(d("0"), d("0"), 0, Rounding::down); },
                 ErrorKind::division);
}

TEST_CASE("reduce drops trailing zeros") {
  CHECK(d("1.200").reduce().same_representation(make(12, -1)));
  CHECK(d("100").reduce().to_scientific_string() == "1E+2");
  CHECK(d("-120").reduce().to_scientific_string() == "-1.2E+2");
  CHECK(d("0.00").reduce().same_representation(Decimal()));
  CHECK(d("123456789012345678900000000000000000000").reduce().to_scientific_string() ==
        "1.234567890123456789E+38");
  // The exponent limit stops the reduction instead of throwing.
  CHECK(make(1000, Decimal::kMaxExponent - 1)
            .reduce()
            .same_representation(make(100, Decimal::kMaxExponent)));
}

// ---- comparison ---------------------------------------------------------------------------------

TEST_CASE("equality is numeric, same_representation is not") {
  CHECK(d("1.0") == d("1.00"));
  CHECK_FALSE(d("1.0").same_representation(d("1.00")));
  CHECK(d("1.0").same_representation(d("1.0")));
  CHECK(d("0") == d("0.00"));
  CHECK(d("100") == sci("1E+2"));
  CHECK(d("1.0") < d("1.01"));
  CHECK(d("-1") < d("-0.5"));
  CHECK(d("-0.5") < d("0"));
  CHECK(d("0") < d("0.001"));
  CHECK(d("2") > d("1.999999999999999999999999999"));
  CHECK(sci("1E+100") > d("99999999999999999999"));
  CHECK(sci("-1E+100") < d("-99999999999999999999"));
  CHECK(sci("1E-100") < sci("1E-99"));
  CHECK(sci("12345678901234567890123E-3") == sci("12345678901234567890.123"));
  CHECK(sci("12345678901234567890123E-3") < sci("1234567890123456789013E-2"));
  CHECK(d("9223372036854775807") < sci("9.223372036854775808E+18"));
  CHECK(d("1") != d("2"));
  CHECK(d("1") <= d("1.00"));
  CHECK(d("1") >= d("1.00"));
  CHECK(d("3").compare(d("2")) == 1);
  CHECK(d("2").compare(d("3")) == -1);
  CHECK(d("2").compare(d("2.000")) == 0);
  CHECK(Decimal::min(d("1.5"), d("1.25")).to_string() == "1.25");
  CHECK(Decimal::max(d("1.5"), d("1.25")).to_string() == "1.5");
}

TEST_CASE("digits counts the coefficient") {
  CHECK(d("0").digits() == 1);
  CHECK(d("9").digits() == 1);
  CHECK(d("-10").digits() == 2);
  CHECK(d("1234.5600").digits() == 8);
  CHECK(big(pow10(19), 0).digits() == 20);
  CHECK(big(pow10(40) - 1, 0).digits() == 40);
  CHECK(big(-pow10(400), 0).digits() == 401);
}

// ---- formatting ---------------------------------------------------------------------------------

TEST_CASE("to_string is plain notation") {
  CHECK(make(1, 2).to_string() == "100");
  CHECK(make(0, -2).to_string() == "0.00");
  CHECK(make(0, 3).to_string() == "0");
  CHECK(make(-5, -3).to_string() == "-0.005");
  CHECK(make(123456, -2).to_string() == "1234.56");
  CHECK(make(5, -10).to_string() == "0.0000000005");
  CHECK(Decimal().to_string() == "0");
}

TEST_CASE("to_scientific_string follows the GDA rules") {
  CHECK(make(123, 0).to_scientific_string() == "123");
  CHECK(make(-123, 0).to_scientific_string() == "-123");
  CHECK(make(123, 1).to_scientific_string() == "1.23E+3");
  CHECK(make(123, 3).to_scientific_string() == "1.23E+5");
  CHECK(make(123, -1).to_scientific_string() == "12.3");
  CHECK(make(123, -5).to_scientific_string() == "0.00123");
  CHECK(make(123, -10).to_scientific_string() == "1.23E-8");
  CHECK(make(-123, -12).to_scientific_string() == "-1.23E-10");
  CHECK(make(0, 0).to_scientific_string() == "0");
  CHECK(make(0, -2).to_scientific_string() == "0.00");
  CHECK(make(0, 2).to_scientific_string() == "0E+2");
  CHECK(make(0, -8).to_scientific_string() == "0E-8");
  CHECK(make(5, -6).to_scientific_string() == "0.000005");
  CHECK(make(5, -7).to_scientific_string() == "5E-7");
  CHECK(make(1, 2).to_scientific_string() == "1E+2");
}

TEST_CASE("to_money_string groups the integer part and shows at least two decimals") {
  CHECK(d("1234567.89").to_money_string() == "¥1,234,567.89");
  CHECK(d("-5.00").to_money_string() == "-¥5.00");
  CHECK(d("0.5").to_money_string() == "¥0.50");
  CHECK(d("999").to_money_string() == "¥999.00");
  CHECK(d("1000").to_money_string() == "¥1,000.00");
  CHECK(d("100000").to_money_string() == "¥100,000.00");
  CHECK(d("30万").to_money_string() == "¥300,000.00");
  CHECK(d("0.00").to_money_string() == "¥0.00");
  CHECK(d("-1234.5").to_money_string("$") == "-$1,234.50");
  CHECK(d("1234").to_money_string("") == "1,234.00");
  CHECK(d("1234.565").to_fen().to_money_string() == "¥1,234.57");
  CHECK(d("0.0000000001").to_money_string() == "¥0.0000000001");  // exact: never rounded
}

TEST_CASE("to_wan_string shows 万元 without trailing zeros") {
  CHECK(d("1234567.89").to_wan_string() == "123.456789万元");
  CHECK(d("300000").to_wan_string() == "30万元");
  CHECK(d("300000.00").to_wan_string() == "30万元");
  CHECK(d("0").to_wan_string() == "0万元");
  CHECK(d("0.00").to_wan_string() == "0万元");
  CHECK(d("-50000").to_wan_string() == "-5万元");
  CHECK(d("123").to_wan_string() == "0.0123万元");
  CHECK(d("1亿").to_wan_string() == "10000万元");
  CHECK(d("30万元").to_wan_string() == "30万元");
}

// ---- limits -------------------------------------------------------------------------------------

TEST_CASE("overflow: kMaxDigits digits fit, one more throws naming the operation") {
  const BigInt largest = pow10(Decimal::kMaxDigits) - 1;  // exactly kMaxDigits nines
  const Decimal nines = big(largest, 0);
  CHECK(nines.digits() == Decimal::kMaxDigits);
  CHECK(big(-largest, 0).digits() == Decimal::kMaxDigits);

  std::string message = error_of([&] { (void)big(largest + 1, 0); }, ErrorKind::overflow);
  CHECK(contains(message, "4097"));

  message = error_of([&] { (void)(nines + Decimal(1)); }, ErrorKind::overflow);
  CHECK(contains(message, "add: result"));
  CHECK(contains(message, "exceeds"));
  message = error_of([&] { (void)(-nines - Decimal(1)); }, ErrorKind::overflow);
  CHECK(contains(message, "subtract: result"));
  CHECK((nines - Decimal(1)).digits() == Decimal::kMaxDigits);

  const Decimal half = big(pow10(2048), 0);
  CHECK((big(pow10(2047), 0) * half).digits() == Decimal::kMaxDigits);
  message = error_of([&] { (void)(half * half); }, ErrorKind::overflow);
  CHECK(contains(message, "multiply: result"));

  message = error_of([&] { (void)nines.quantize(-1); }, ErrorKind::overflow);
  CHECK(contains(message, "quantize: result"));
  CHECK(big(pow10(Decimal::kMaxDigits - 2), 0).quantize(-1).digits() == Decimal::kMaxDigits);

  const auto k = static_cast<std::int32_t>(Decimal::kMaxDigits);
  CHECK(Decimal::divide(d("1"), d("3"), -k, Rounding::down).digits() == Decimal::kMaxDigits);
  message = error_of([&] { (void)Decimal::divide(d("1"), d("3"), -k - 1, Rounding::down); },
                     ErrorKind::overflow);
  CHECK(contains(message, "divide: result"));
  message = error_of([&] { (void)Decimal::divide(nines, sci("1E-5"), 0, Rounding::down); },
                     ErrorKind::overflow);
  CHECK(contains(message, "divide: result"));

  const std::string many(Decimal::kMaxDigits, '7');
  CHECK(d(many).digits() == Decimal::kMaxDigits);
  CHECK(d("0.000" + many).digits() == Decimal::kMaxDigits);
  message = error_of([&] { (void)d(many + "7"); }, ErrorKind::overflow);
  CHECK(contains(message, "parse"));
  message = error_of([&] { (void)sci(many + "7"); }, ErrorKind::overflow);
  CHECK(contains(message, "parse"));
}

TEST_CASE("overflow: exponents stay within ±kMaxExponent") {
  constexpr std::int32_t kMax = Decimal::kMaxExponent;
  CHECK(make(1, kMax).exponent() == kMax);
  CHECK(make(1, -kMax).exponent() == -kMax);
  (void)error_of([] { (void)make(1, kMax + 1); }, ErrorKind::overflow);
  (void)error_of([] { (void)make(1, -kMax - 1); }, ErrorKind::overflow);
  CHECK((make(1, kMax) * d("10")).same_representation(make(10, kMax)));  // coefficient grows
  std::string message = error_of([&] { (void)(make(1, kMax) * sci("1E+1")); }, ErrorKind::overflow);
  CHECK(contains(message, "multiply: result exponent 1000000 exceeds"));
  message = error_of([&] { (void)(make(1, -kMax) * d("0.1")); }, ErrorKind::overflow);
  CHECK(contains(message, "multiply"));
  CHECK((make(1, kMax) * d("1")).exponent() == kMax);
  message = error_of([&] { (void)(make(1, kMax) + make(1, -kMax)); }, ErrorKind::overflow);
  CHECK(contains(message, "add: result needs at least"));
  message = error_of([&] { (void)d("1").quantize(kMax + 1); }, ErrorKind::overflow);
  CHECK(contains(message, "quantize: target exponent"));
  message = error_of([&] { (void)Decimal::divide(d("1"), d("3"), -kMax - 1, Rounding::down); },
                     ErrorKind::overflow);
  CHECK(contains(message, "divide"));
  message = error_of([&] { (void)make(1, kMax).quantize(0); }, ErrorKind::overflow);
  CHECK(contains(message, "quantize: result needs at least 1000000 digits"));
  CHECK(d("1.2亿").quantize(kMax).quantize(0).to_string() == "0");
  (void)error_of([] { (void)Decimal::from_scaled_int64(1, kMax + 1); }, ErrorKind::overflow);
  // A zero with an extreme exponent is still a value at that exponent.
  CHECK((make(0, kMax) + make(0, kMax)).exponent() == kMax);
}

// ---- fixed point --------------------------------------------------------------------------------

TEST_CASE("to_scaled_int64 is exact or refuses") {
  constexpr std::int64_t kMax = std::numeric_limits<std::int64_t>::max();
  constexpr std::int64_t kMin = std::numeric_limits<std::int64_t>::min();
  std::int64_t out = 0;
  CHECK(Decimal(kMax).to_scaled_int64(0, out));
  CHECK(out == kMax);
  CHECK(Decimal(kMin).to_scaled_int64(0, out));
  CHECK(out == kMin);
  CHECK_FALSE(d("9223372036854775808").to_scaled_int64(0, out));
  CHECK_FALSE(d("-9223372036854775809").to_scaled_int64(0, out));
  CHECK(d("92233720368547758.07").to_scaled_int64(-2, out));
  CHECK(out == kMax);
  CHECK(d("-92233720368547758.08").to_scaled_int64(-2, out));
  CHECK(out == kMin);
  CHECK_FALSE(d("92233720368547758.07").to_scaled_int64(-3, out));
  CHECK_FALSE(d("1.005").to_scaled_int64(-2, out));  // would need rounding
  CHECK(d("1.000").to_scaled_int64(-2, out));
  CHECK(out == 100);
  CHECK(d("-12.5").to_scaled_int64(-4, out));
  CHECK(out == -125000);
  CHECK(sci("1E+18").to_scaled_int64(0, out));
  CHECK(out == 1'000'000'000'000'000'000);
  CHECK_FALSE(sci("1E+19").to_scaled_int64(0, out));
  CHECK(sci("1E+19").to_scaled_int64(1, out));
  CHECK(out == 1'000'000'000'000'000'000);
  CHECK(sci("0E+50").to_scaled_int64(-2, out));
  CHECK(out == 0);
  CHECK(sci("92233720368547758070E-3").to_scaled_int64(-2, out));  // beyond 64 bits, divided
  CHECK(out == kMax);
  CHECK(sci("-92233720368547758080E-3").to_scaled_int64(-2, out));
  CHECK(out == kMin);
  CHECK_FALSE(sci("92233720368547758080E-3").to_scaled_int64(-2, out));
  CHECK_FALSE(sci("92233720368547758071E-3").to_scaled_int64(-2, out));
  CHECK(Decimal::from_scaled_int64(kMin, -2).to_string() == "-92233720368547758.08");
  CHECK(Decimal::from_scaled_int64(kMax, -2).to_scaled_int64(-2, out));
  CHECK(out == kMax);
  CHECK(Decimal::from_scaled_int64(12345, -2).same_representation(make(12345, -2)));
}
