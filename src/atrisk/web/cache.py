"""Published runs never change, so what is rendered from them is rendered once and served from
memory; only "which run is the latest" is asked of the store, at most every ``LATEST_TTL``
seconds. This keeps tail latency low under many concurrent readers."""

from __future__ import annotations

import time
from collections import OrderedDict
from typing import Any

from atrisk.store import queries
from atrisk.store.db import session

#: How long the id of the latest run is trusted before the store is asked again (seconds).
LATEST_TTL = 1.0
#: Rendered responses kept (oldest dropped first).
CACHE_SIZE = 256


class RunCache:
    """Latest-run ids (with a short TTL) and rendered bodies keyed by the runs they show."""

    def __init__(self, database_url: str) -> None:
        self.url = database_url
        self.latest: dict[str, tuple[int | None, float]] = {}
        self.bodies: OrderedDict[tuple[Any, ...], Any] = OrderedDict()

    def fresh_latest(self, kind: str) -> tuple[bool, int | None]:
        """(known, id): the cached latest id of ``kind`` if still fresh (no I/O)."""
        seen = self.latest.get(kind)
        if seen is not None and time.monotonic() - seen[1] <= LATEST_TTL:
            return True, seen[0]
        return False, None

    def latest_id(self, kind: str) -> int | None:
        """The latest run's id, re-read from the store at most every ``LATEST_TTL`` seconds
        (blocking: call from a worker thread)."""
        known, run_id = self.fresh_latest(kind)
        if known:
            return run_id
        with session(self.url) as s:
            run_id = queries.latest_run_id(s, kind)
        self.latest[kind] = (run_id, time.monotonic())
        return run_id

    def get(self, key: tuple[Any, ...]) -> Any:
        return self.bodies.get(key)

    def put(self, key: tuple[Any, ...], body: Any) -> Any:
        self.bodies[key] = body
        if len(self.bodies) > CACHE_SIZE:
            self.bodies.popitem(last=False)
        return body
