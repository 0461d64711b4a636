// libFuzzer target: the decimal parsers (policy amounts, GDA scientific syntax) on arbitrary bytes.
// Any input may be rejected with subsidy::Error; anything else (a crash, another exception, a
// value that does not survive printing and re-reading) is a bug.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "subsidy/decimal.hpp"
#include "subsidy/error.hpp"

using subsidy::Decimal;

namespace {

void require(bool condition) {
  if (!condition) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  try {
    const Decimal d = Decimal::parse(text);
    // The plain notation reads back as the same value.
    require(Decimal::parse(d.to_string()) == d);
    (void)d.to_money_string();
    (void)d.to_wan_string();
    (void)d.reduce();
    try {
      (void)d.to_fen();
      (void)(d * d + d - d);
    } catch (const subsidy::Error&) {  // overflow of the exponent bounds is a clean error
    }
  } catch (const subsidy::Error&) {
  }
  try {
    (void)Decimal::parse_amount(text);
  } catch (const subsidy::Error&) {
  }
  try {
    const Decimal d = Decimal::parse_scientific(text);
    // The scientific form keeps coefficient and exponent.
    require(Decimal::parse_scientific(d.to_scientific_string()).same_representation(d));
    std::int64_t units = 0;
    if (d.to_scaled_int64(-2, units)) require(Decimal::from_scaled_int64(units, -2) == d);
  } catch (const subsidy::Error&) {
  }
  return 0;
}
