#!/usr/bin/env bash
# The whole test suite: the C++ library with warnings as errors, its formatting (clang-format)
# and its doctest suites (ctest), a consumer project built against an installed copy of it, then
# the Python package built and installed from this tree (pip), its tests (pytest, which also run
# the docs' examples), a strict type check (mypy), the documentation site (mkdocs --strict), and
# the C++ tests under sanitizers and a fuzz smoke run (clang; about 4 minutes from cold on 2
# cores). A build failure stops at once; a failing test stage is reported and the later stages
# still run, so one run shows every failure. Exits non-zero if anything failed.
set -euo pipefail
cd "$(dirname "$0")/.."

export PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_ROOT_USER_ACTION=ignore
PYTHON="${PYTHON:-python3}"
jobs="$(nproc)"

# Python tests that need C++ tools (the decimal oracle) find this build, wherever the tree lives.
export SUBSIDY_BUILD_DIR="$PWD/build"

step() { printf '\n==> %s\n' "$*"; }
stages=()  # "NAME SECONDS RESULT", printed as a table at the end, also when a build step stops the run
failed=()
summary() {  # the table of stages, then the verdict (the last line of the run)
  local rc=$?
  printf '\n==> stages (seconds, result)\n'
  ((${#stages[@]})) && printf '  %-12s %6s  %s\n' "${stages[@]}"
  printf '  %-12s %6s\n' "total" "$SECONDS"
  if ((${#failed[@]})) || ((rc != 0)); then
    step "FAILED: ${failed[*]:-exit status $rc}"
  else
    step "all tests passed"
  fi
}
trap summary EXIT
run_stage() {  # run_stage MUST NAME COMMAND...: times a stage; MUST=1 stops the run on failure
  local must="$1" name="$2" started=$SECONDS rc=0
  shift 2
  "$@" || rc=$?
  stages+=("$name" "$((SECONDS - started))" "$([[ $rc == 0 ]] && echo ok || echo "FAILED (exit $rc)")")
  if ((rc != 0)); then
    failed+=("$name")
    ((must == 0)) || exit "$rc"
  fi
  return 0
}
must() { run_stage 1 "$@"; }   # a build step: nothing after it can run without it
check() { run_stage 0 "$@"; }  # a test stage: remembered, and the later stages still run

step "dependencies"
must "deps" bash scripts/install-deps.sh

step "C++: configure and build (build/, -Werror)"
generator=()
[[ -f build/CMakeCache.txt ]] || generator=(-G Ninja)
build_cpp() {
  cmake -S . -B build "${generator[@]}" -DCMAKE_BUILD_TYPE=Release -DSUBSIDY_WERROR=ON &&
    cmake --build build --parallel "$jobs"
}
must "build" build_cpp

step "C++: formatting (clang-format)"
check "format" bash scripts/format.sh

step "C++: tests"
check "ctest" ctest --test-dir build --output-on-failure --parallel "$jobs"

step "C++: install, then build and run tests/consumer against the installed package"
check "consumer" bash scripts/consumer.sh build

step "Python: build and install the package (bindings with -Werror too)"
must "pip-install" "$PYTHON" -m pip install --no-build-isolation --config-settings=cmake.define.SUBSIDY_WERROR=ON .

step "Python: tests"
check "pytest" "$PYTHON" -m pytest tests/python

step "Python: mypy --strict"
check "mypy" "$PYTHON" -m mypy --strict python/subsidy examples/whatif_notebook.py

step "Docs: build the site (mkdocs --strict: broken links and warnings fail)"
check "docs" env PYTHON="$PYTHON" bash scripts/docs.sh

step "C++: sanitizers (ASan + UBSan: every ctest suite; TSan: the concurrency test)"
check "sanitizers" bash scripts/sanitizers.sh

step "Fuzz smoke (libFuzzer targets and the Python xlsx reader's, 60 s each, two at a time)"
check "fuzz" env PYTHON="$PYTHON" bash scripts/fuzz.sh 60

((${#failed[@]} == 0))  # the exit status; the EXIT trap prints the table and the verdict
