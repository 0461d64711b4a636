#!/usr/bin/env bash
# Evaluates the bundled example enterprises (examples/enterprises.yaml) against the bundled rules
# (rules/) and prints each enterprise's cited award lines and totals.
# Installs what it needs first (scripts/install-deps.sh), then builds the C++ library into build/.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/install-deps.sh

generator=()
[[ -f build/CMakeCache.txt ]] || generator=(-G Ninja)
cmake -S . -B build "${generator[@]}" -DCMAKE_BUILD_TYPE=Release
cmake --build build --parallel "$(nproc)"

build/tools/subsidy-cpp evaluate --rules rules examples/enterprises.yaml --alternatives
