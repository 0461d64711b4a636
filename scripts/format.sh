#!/usr/bin/env bash
# Fails when a C++ file of the project is not as clang-format (.clang-format) would write it.
# Fix with: clang-format -i FILE.
set -euo pipefail
cd "$(dirname "$0")/.."
if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
  mapfile -t files < <(git ls-files '*.cpp' '*.hpp' '*.h' '*.cc')
else  # a copy of the tree without its history
  mapfile -t files < <(find include src python/src tests tools bench fuzz -name '*.[ch]pp' | sort)
fi
clang-format --dry-run --Werror "${files[@]}"
echo "format: ${#files[@]} C++ files as clang-format writes them"
