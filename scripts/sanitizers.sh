#!/usr/bin/env bash
# The C++ tests under sanitizers, with clang:
#   build-asan/  AddressSanitizer + UndefinedBehaviorSanitizer: every ctest suite (tests only; no
#                benchmarks, tools or Python, so the decimal_oracle differential test is not built).
#                The library also carries libFuzzer's coverage instrumentation, so scripts/fuzz.sh
#                builds its targets in the same tree instead of compiling the library once more.
#   build-tsan/  ThreadSanitizer: test_determinism, whose concurrency case has eight threads
#                evaluating one compiled rule set (and evaluate_batch on up to 8 threads)
# Any report fails the run (-fno-sanitize-recover, halt_on_error).
#   scripts/sanitizers.sh [asan|tsan|configure]...   (default: asan tsan; configure: build-asan only)
set -euo pipefail
cd "$(dirname "$0")/.."
jobs="${JOBS:-$(nproc)}"
kinds=("$@")
((${#kinds[@]})) || kinds=(asan tsan)

launcher=()
command -v ccache >/dev/null 2>&1 && launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
configure() {  # configure DIR FLAGS
  [[ -f "$1/CMakeCache.txt" ]] && return 0
  CXX=clang++ cmake -S . -B "$1" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo "${launcher[@]}" \
    -DSUBSIDY_FUZZ="$([[ $1 == build-asan ]] && echo ON || echo OFF)" -DSUBSIDY_WERROR=ON -DSUBSIDY_BUILD_BENCH=OFF -DSUBSIDY_BUILD_TOOLS=OFF -DSUBSIDY_INSTALL=OFF \
    -DCMAKE_CXX_FLAGS="$2 -fno-omit-frame-pointer -fno-sanitize-recover=all"
}

for kind in "${kinds[@]}"; do
  case "$kind" in
    configure)
      configure build-asan "-fsanitize=address,undefined -fsanitize=fuzzer-no-link"
      ;;
    asan)
      configure build-asan "-fsanitize=address,undefined -fsanitize=fuzzer-no-link"
      cmake --build build-asan --parallel "$jobs"
      ASAN_OPTIONS="detect_leaks=1:abort_on_error=1:strict_string_checks=1" \
        UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1" \
        ctest --test-dir build-asan --output-on-failure --parallel "$jobs"
      ;;
    tsan)
      configure build-tsan "-fsanitize=thread"
      cmake --build build-tsan --parallel "$jobs" --target test_determinism
      TSAN_OPTIONS="halt_on_error=1:second_deadlock_stack=1" build-tsan/tests/test_determinism
      ;;
    *)
      echo "sanitizers.sh: unknown kind '$kind' (asan, tsan)" >&2
      exit 2
      ;;
  esac
done
