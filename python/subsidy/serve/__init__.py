"""``subsidy serve``: the engine behind an HTTP JSON API, and a web page for clerks.

>>> from subsidy.serve import ServeConfig, create_app     # doctest: +SKIP
>>> app = create_app(ServeConfig(rules=("rules",)))         # an ASGI app (FastAPI)

The rule files are fixed at start; ``SIGHUP`` or ``POST /api/admin/reload`` loads them again and
swaps them in atomically. Binds 127.0.0.1 unless told; another address needs a token."""

from __future__ import annotations

from .state import ServeConfig

__all__ = ["ServeConfig", "create_app"]


def __getattr__(name: str) -> object:
    # FastAPI is imported only when the service is wanted, not by `import subsidy`.
    if name == "create_app":
        from .app import create_app

        return create_app
    raise AttributeError(name)
