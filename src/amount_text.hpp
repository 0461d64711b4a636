// Decimals from text (src/amount_text.cpp): amounts as clerks type them, brought to the parser's
// form (the width and space folding of Unicode NFKC for the characters an amount can hold, and a
// leading currency sign); policy amounts (万, 亿, %, 百分之 and Chinese numerals); the General
// Decimal Arithmetic to-number syntax; and the text helpers decimal.cpp shares.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "subsidy/decimal.hpp"

namespace subsidy::detail {

/// Full-width ASCII forms (１２０万, １．２亿, ￥, ，) become ASCII, the Unicode spaces NFKC folds
/// (ideographic, no-break, thin, ...) become spaces, a leading ¥/￥ (after an optional sign) is
/// dropped, and spaces are dropped except between two digits (so "1 2" stays an error while
/// "1.2 亿" and "¥ 120,000" are read). Other compatibility forms (①, ², ㈠) are left as they are,
/// so the parser refuses them: they are not how an amount is typed.
std::string normalise_amount_text(std::string_view text);

/// 1234.56, 1,234.5, 30万元, 50%, 百分之十二点五: the strict form Decimal::parse accepts.
Amount parse_policy_amount(std::string_view whole);
/// 1.23E+5, -0E-3: finite numbers in General Decimal Arithmetic syntax.
Decimal parse_gda(std::string_view text);
/// ±digits × 10^exponent after the syntax is checked: the bounds are checked here, naming
/// `operation` (src/decimal.cpp).
Decimal from_parts(std::string_view digit_text, bool negative, std::int64_t exponent,
                   const char* operation);

bool is_ascii_space(char ch);
bool is_digit(char ch);
std::string_view trim(std::string_view s);
/// ASCII case-insensitive equality.
bool iequals(std::string_view a, std::string_view b);
bool starts_with(std::string_view s, std::string_view prefix);
/// The input as it appears in messages: quoted, control characters escaped.
std::string quote(std::string_view text);
/// One whole character (a UTF-8 sequence) at the start of s, for messages.
std::string first_char(std::string_view s);
/// The first character quoted, and named when it cannot be seen (a no-break space).
std::string shown_char(std::string_view s);
/// NaN and the infinities in any case, with an optional sign.
bool is_special_name(std::string_view s);

}  // namespace subsidy::detail
