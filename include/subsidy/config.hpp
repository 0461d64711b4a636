// Portable spellings of compiler attributes the public headers use.
#pragma once

/// Asks the compiler to inline a small accessor on the batch path's hot loop (a hint only: the
/// meaning never depends on it).
#if defined(__GNUC__) || defined(__clang__)
#define SUBSIDY_ALWAYS_INLINE inline __attribute__((always_inline))
#elif defined(_MSC_VER)
#define SUBSIDY_ALWAYS_INLINE __forceinline
#else
#define SUBSIDY_ALWAYS_INLINE inline
#endif
