// SHA-256 (FIPS 180-4), for fingerprints of rule sets and receipts of evaluations.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace subsidy::detail {

class Sha256 {
 public:
  Sha256();
  Sha256& update(std::string_view data);
  /// Lower-case hex digest; the object must not be updated afterwards.
  std::string hex();

 private:
  void block(const unsigned char* p);
  std::uint32_t h_[8];
  unsigned char buffer_[64];
  std::size_t used_ = 0;
  std::uint64_t length_ = 0;
};

inline std::string sha256_hex(std::string_view data) { return Sha256().update(data).hex(); }

}  // namespace subsidy::detail
