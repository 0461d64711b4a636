"""MkDocs hooks (mkdocs.yml `hooks:`): the pages of the rule tables are made during the build.

scripts/gen_rule_docs.py renders, from rules/*.yaml and tests/rules/, the policies overview
(policies.md), one page per policy set and one per rule. They are added to the site in memory, so
they are never in docs/, never committed and cannot be edited by hand; the navigation's
"Policies" entry gets the overview and a page per policy set.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
import gen_rule_docs  # noqa: E402

from mkdocs.structure.files import File, Files  # noqa: E402

NAV_ENTRY = "Policies"


def on_config(config: Any) -> Any:
    for entry in config.nav or []:
        if isinstance(entry, dict) and NAV_ENTRY in entry:
            entry[NAV_ENTRY] = gen_rule_docs.nav()
            return config
    raise ValueError(f"mkdocs.yml: the nav needs a '{NAV_ENTRY}' entry for the generated pages")


def on_files(files: Files, config: Any) -> Files:
    for path, text in gen_rule_docs.pages().items():
        if files.get_file_from_path(path) is not None:
            raise ValueError(f"docs/{path} would hide a generated page: remove it (it is made in the build)")
        files.append(File.generated(config, path, content=text))
    return files
