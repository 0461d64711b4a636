#!/usr/bin/env bash
# Builds the documentation site into build/site with MkDocs (mkdocs.yml), in strict mode: a broken
# link or anchor, a missing snippet, a page missing from the navigation or any other warning fails
# the build. The pages of the rule tables (one per policy set and per rule) are generated from
# rules/*.yaml and tests/rules/ during the build (scripts/mkdocs_hooks.py), and so are the coverage page
# and the woven texts (scripts/gen_coverage.py), which read the source text from ../shared/seed beside
# the repository, as the citation test does (CI has it there); nothing generated is
# kept in docs/. Needs mkdocs and pymdown-extensions (scripts/install-deps.sh installs them).
#
#   bash scripts/docs.sh            # then open build/site/index.html
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON="${PYTHON:-python3}"
"$PYTHON" -m mkdocs build --strict --clean --config-file mkdocs.yml --site-dir build/site "$@"
