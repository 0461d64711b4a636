#!/usr/bin/env bash
# Installs what building and testing subsidy needs, from Debian's packages and PyPI, by name.
# Idempotent and fast when everything is already there: apt-get runs only for missing packages,
# pip only for missing Python distributions. Nothing is vendored or downloaded at build time.
set -euo pipefail

# --- Debian packages: C++ headers and build tools ---------------------------------------------------
apt_wanted=(libboost-dev libyaml-cpp-dev doctest-dev ninja-build g++)
# clang and its sanitizer and libFuzzer runtimes: scripts/sanitizers.sh, scripts/fuzz.sh
apt_wanted+=(clang libclang-rt-dev)
# a CJK font for the charts (Comparison.plot draws the payers' Chinese names): tests/python/test_plot.py
apt_wanted+=(fonts-noto-cjk)
# headless Chromium and its WebDriver for the web page's browser test (Selenium drives them)
apt_wanted+=(chromium chromium-driver)
# Java for Spark (subsidy.spark and its tests run Spark in local mode)
apt_wanted+=(openjdk-17-jre-headless)
command -v clang-format >/dev/null 2>&1 || apt_wanted+=(clang-format)
command -v cmake >/dev/null 2>&1 || apt_wanted+=(cmake)   # pip's cmake (>= 3.20) also does

apt_missing=()
for pkg in "${apt_wanted[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed"; then
    apt_missing+=("$pkg")
  fi
done
if ((${#apt_missing[@]})); then
  echo "install-deps: apt-get install ${apt_missing[*]}"
  SUDO=""
  if [[ $(id -u) -ne 0 ]]; then SUDO="sudo"; fi
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends "${apt_missing[@]}"
fi

# --- Python tools --------------------------------------------------------------------------------
PYTHON="${PYTHON:-python3}"
# Build tools, the package's dependencies and the tests' (pyyaml reads golden cases with every
# scalar kept as text; jsonschema checks rule files against rules/schema; mkdocs and
# pymdown-extensions build the docs site).
pip_wanted=(
  "pybind11>=2.12"
  "scikit-build-core>=0.10"
  "pytest>=7"
  "hypothesis>=6"
  "pandas>=2.0"
  "numpy>=1.24"
  "mypy>=1.8"
  "pandas-stubs"
  "pyarrow>=12"
  "matplotlib>=3.7"
  "openpyxl>=3.1"
  "pyyaml>=6"
  "jsonschema>=4"
  "mkdocs>=1.6"
  "pymdown-extensions>=10"
  # subsidy serve (HTTP API and web page) and its tests: a real HTTP client and a real browser
  "fastapi>=0.110"
  "uvicorn>=0.29"
  "python-multipart>=0.0.9"
  "httpx>=0.27"
  "selenium>=4.15"
  "dask[dataframe]>=2024.12"   # subsidy.dask and its tests (a LocalCluster of worker processes)
  "distributed>=2024.12"
  "pyspark>=3.5"               # subsidy.spark and its tests (local[2])
)
mapfile -t pip_missing < <("$PYTHON" - "${pip_wanted[@]}" <<'PY'
import re
import sys
from importlib import metadata

for requirement in sys.argv[1:]:
    name = re.split(r"[<>=!~\[ ]", requirement, maxsplit=1)[0]
    try:
        metadata.version(name)
    except metadata.PackageNotFoundError:
        print(requirement)
PY
)
if ((${#pip_missing[@]})); then
  echo "install-deps: pip install ${pip_missing[*]}"
  "$PYTHON" -m pip install --disable-pip-version-check -q "${pip_missing[@]}"
fi
echo "install-deps: ok"
