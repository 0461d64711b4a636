"""The service's configuration and its rule set, swapped whole on reload.

The rule files are named once, at start; a request never names a path. A reload (SIGHUP or the
admin call) loads the same files again into a new :class:`Loaded` and replaces the reference in
one assignment: a request takes the reference when it starts and finishes on that rule set, so
requests in flight finish on the old set and no request sees a mixture. A reload that fails
leaves the current set in place."""

from __future__ import annotations

import datetime
import ipaddress
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from .. import engine_version
from ..rules import RuleSet

LOOPBACK = "127.0.0.1"


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


@dataclass(frozen=True)
class ServeConfig:
    """Limits and access. ``token`` is required when ``host`` is not a loopback address."""

    rules: tuple[str, ...]
    host: str = LOOPBACK
    port: int = 8000
    token: str | None = None
    max_body_bytes: int = 8 * 1024 * 1024
    max_batch: int = 10_000
    time_limit_seconds: float = 30.0
    threads: int = 1  # engine threads per batch request; requests already run side by side

    def __post_init__(self) -> None:
        if not self.rules:
            raise ValueError("serve needs --rules (a rule file or folder)")
        if not is_loopback(self.host) and not self.token:
            raise ValueError(
                f"binding to {self.host} (not loopback) needs a token: --token or SUBSIDY_SERVE_TOKEN"
            )
        if self.max_body_bytes <= 0 or self.max_batch <= 0 or self.time_limit_seconds <= 0:
            raise ValueError("limits must be positive")


@dataclass(frozen=True)
class Loaded:
    """One loaded rule set and what the API lists about it (computed once per load)."""

    rules: RuleSet
    loaded_at: str
    facts: Mapping[str, Mapping[str, Any]] = field(repr=False)

    @classmethod
    def load(cls, paths: tuple[str, ...]) -> Loaded:
        rules = RuleSet.load(*paths)
        facts = {f["name"]: f for f in rules._core.facts()}
        now = datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds")
        return cls(rules, now, facts)

    def receipt(self, scenario: str = "") -> dict[str, str]:
        return {"fingerprint": self.rules.fingerprint, "scenario": scenario, "engine": engine_version()}


class Holder:
    """The current :class:`Loaded`; ``current`` is read without a lock (one reference)."""

    def __init__(self, config: ServeConfig) -> None:
        self.config = config
        self.current = Loaded.load(config.rules)
        self._reload_lock = threading.Lock()
        self.reloads = 0

    def reload(self) -> Loaded:
        """Loads the rule files again and swaps them in; raises (keeping the old set) on error."""
        with self._reload_lock:
            fresh = Loaded.load(self.config.rules)
            self.current = fresh
            self.reloads += 1
            return fresh
