// SHA-256 (src/sha256.cpp): FIPS 180-4's test vectors, and the processor's SHA instructions
// against the portable code on every length and split that the block logic can meet.
#include <doctest/doctest.h>

#include <string>

#include "sha256.hpp"

using subsidy::detail::Sha256;

namespace {
std::string digest(const std::string& text, bool portable) {
  return Sha256(portable).update(text).hex();
}
}  // namespace

TEST_CASE("sha256: FIPS 180-4 test vectors, both ways") {
  for (bool portable : {false, true}) {
    CHECK(digest("", portable) ==
          "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    CHECK(digest("abc", portable) ==
          "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    CHECK(digest("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq", portable) ==
          "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
    CHECK(digest(std::string(1000000, 'a'), portable) ==
          "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
  }
}

TEST_CASE("sha256: the native and portable ways agree, whole or fed in pieces") {
  std::string text;
  for (std::size_t n = 0; n < 300; ++n) {
    const std::string expected = digest(text, true);
    CHECK(digest(text, false) == expected);
    // Fed in uneven pieces: partial blocks filled, then whole blocks straight from the input.
    Sha256 pieces;
    for (std::size_t at = 0; at < text.size(); at += 1 + at % 71) {
      pieces.update(std::string_view(text).substr(at, 1 + at % 71));
    }
    CHECK(pieces.hex() == expected);
    text += static_cast<char>('A' + (n * 7) % 53);
  }
}
