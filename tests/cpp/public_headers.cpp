// Only the umbrella header: tests/cmake/public_headers.cmake compiles this with the public include
// folders alone, so a third-party header reaching the public API fails this test.
#include <subsidy/subsidy.hpp>

static_assert(sizeof(SUBSIDY_VERSION) > 1, "subsidy/version.hpp is generated and included");

int main() { return subsidy::Decimal(1).is_zero() ? 1 : 0; }
