#!/usr/bin/env bash
# Installs the C++ build into a temporary prefix (`cmake --install`), builds tests/consumer against
# that installed copy alone (find_package(subsidy CONFIG), nothing from the source tree), runs it on
# rules/ and compares what it prints with tests/consumer/expected.txt; the installed subsidy-cpp
# checks rules/ too. Exits non-zero on any difference or failure. tests/consumer/main.cpp is the C++ quickstart of the docs, so this also runs it.
#
#   bash scripts/consumer.sh [BUILD_DIR]      # default build/, configured with SUBSIDY_INSTALL=ON
set -euo pipefail
cd "$(dirname "$0")/.."
build="${1:-build}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

cmake --install "$build" --prefix "$work/prefix" >"$work/install.log"
# Boost is private to the library: the package must not ask a consumer for it, and the installed
# headers alone (nothing else on the include path) must compile without reading a Boost header.
if grep -E 'Boost::|find_dependency\(Boost' "$work/prefix/lib"*/cmake/subsidy/*.cmake; then
  echo "consumer: the installed CMake package refers to Boost (files above)" >&2
  exit 1
fi
cmake -DCXX="${CXX:-c++}" -DSOURCE=tests/cpp/public_headers.cpp \
  -DINCLUDE_DIRS="$work/prefix/include" -P tests/cmake/public_headers.cmake
generator=()
command -v ninja >/dev/null 2>&1 && generator=(-G Ninja)
launcher=()
command -v ccache >/dev/null 2>&1 && launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
cmake -S tests/consumer -B "$work/build" "${generator[@]}" "${launcher[@]}" -DCMAKE_BUILD_TYPE=Release \
  -DCMAKE_PREFIX_PATH="$work/prefix" -DCMAKE_FIND_USE_PACKAGE_REGISTRY=OFF >"$work/configure.log" ||
  { cat "$work/configure.log"; exit 1; }
cmake --build "$work/build"
"$work/build/quickstart" rules >"$work/output.txt"
if ! diff -u tests/consumer/expected.txt "$work/output.txt"; then
  echo "consumer: the output differs from tests/consumer/expected.txt" >&2
  exit 1
fi
# The installed command-line tool (built unless SUBSIDY_BUILD_TOOLS=OFF) checks the same rule folder.
if [[ -x "$work/prefix/bin/subsidy-cpp" ]]; then
  "$work/prefix/bin/subsidy-cpp" check rules >"$work/check.txt" || { cat "$work/check.txt"; exit 1; }
fi
echo "consumer: built against the installed package ($(ls "$work/prefix/include/subsidy" | wc -l) headers) and ran: ok"
