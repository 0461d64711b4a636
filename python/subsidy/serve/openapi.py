"""Prints the service's OpenAPI document (committed as docs/openapi.json; a test checks it is
current): ``python -m subsidy.serve.openapi --rules rules > docs/openapi.json``."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from typing import Any

from .state import ServeConfig


def document(rules: Sequence[str]) -> dict[str, Any]:
    from .app import create_app

    spec: dict[str, Any] = create_app(ServeConfig(rules=tuple(rules))).openapi()
    return spec


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rules", action="append", required=True, metavar="PATH")
    args = parser.parse_args(argv)
    sys.stdout.write(json.dumps(document(args.rules), ensure_ascii=False, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
