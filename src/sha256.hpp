// SHA-256 (FIPS 180-4), for fingerprints of rule sets and receipts of evaluations.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace subsidy::detail {

class Sha256 {
 public:
  /// `portable`: never the processor's SHA instructions (tests compare the two ways).
  explicit Sha256(bool portable = false);
  Sha256& update(std::string_view data);
  /// Lower-case hex digest; the object must not be updated afterwards.
  std::string hex();

 private:
  /// Hashes `count` 64-byte blocks: with the processor's SHA instructions when it has them.
  void blocks(const unsigned char* p, std::size_t count);
  void portable_block(const unsigned char* p);
  std::uint32_t h_[8];
  bool native_ = false;
  unsigned char buffer_[64];
  std::size_t used_ = 0;
  std::uint64_t length_ = 0;
};

inline std::string sha256_hex(std::string_view data) { return Sha256().update(data).hex(); }

}  // namespace subsidy::detail
