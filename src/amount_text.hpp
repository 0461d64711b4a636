// Amounts as clerks type them, brought to the parser's form: the width and space folding of
// Unicode NFKC for the characters an amount can hold, and a leading currency sign.
#pragma once

#include <string>
#include <string_view>

namespace subsidy::detail {

/// Full-width ASCII forms (１２０万, １．２亿, ￥, ，) become ASCII, the Unicode spaces NFKC folds
/// (ideographic, no-break, thin, ...) become spaces, a leading ¥/￥ (after an optional sign) is
/// dropped, and spaces are dropped except between two digits (so "1 2" stays an error while
/// "1.2 亿" and "¥ 120,000" are read). Other compatibility forms (①, ², ㈠) are left as they are,
/// so the parser refuses them: they are not how an amount is typed.
std::string normalise_amount_text(std::string_view text);

}  // namespace subsidy::detail
