#!/usr/bin/env bash
# The batch benchmark: builds the C++ library and bench_batch (Release), builds the Python package
# into a benchmark virtualenv (build/bench-venv, with the benchmark-only packages zen-engine and
# openfisca-core: `pip install zen-engine openfisca-core`, never dependencies of the library), runs
# every implementation on N synthetic enterprises (default 1 000 000), writes
# bench/results/RESULTS.md and prints the table.
#
#   bash scripts/bench.sh [N] [SLOW_N]
#
# SLOW_N (default 100 000) is the number of enterprises the per-row Python implementations
# (stdlib decimal, zen-engine, the pandas path, and the Python APIs: evaluate_frame,
# evaluate_many, compare, `subsidy evaluate`) run on. Dependencies: scripts/install-deps.sh.
set -euo pipefail
cd "$(dirname "$0")/.."

n="${1:-1000000}"
slow_n="${2:-100000}"
jobs="$(nproc)"
python="${PYTHON:-python3}"

generator=()
[[ -f build/CMakeCache.txt ]] || generator=(-G Ninja)
cmake -S . -B build "${generator[@]}" -DCMAKE_BUILD_TYPE=Release
cmake --build build --parallel "$jobs" --target bench_batch

# The package and the benchmark-only dependency go into a private venv, never the system Python.
venv=build/bench-venv
[[ -x "$venv/bin/python" ]] || "$python" -m venv --system-site-packages "$venv"
launcher=()
command -v ccache >/dev/null && launcher=(--config-settings=cmake.define.CMAKE_CXX_COMPILER_LAUNCHER=ccache)
"$venv/bin/python" -m pip install --quiet --no-build-isolation "${launcher[@]}" .
"$venv/bin/python" -c "import zen" 2>/dev/null || "$venv/bin/python" -m pip install --quiet "zen-engine>=0.40"
"$venv/bin/python" -c "import openfisca_core" 2>/dev/null || "$venv/bin/python" -m pip install --quiet "openfisca-core>=46"

data="$(mktemp -d)"
trap 'rm -rf "$data"' EXIT
mkdir -p bench/results
build/bench/bench_batch "$n" rules "$data/cpp.jsonl" "$data" "$slow_n"
# Run from bench/ so that `import subsidy` finds the installed package, not python/subsidy.
(cd bench && "../$venv/bin/python" bench_python.py "$data" "$n" "$data/cpp.jsonl" results/RESULTS.md "$slow_n")
