"""Published runs never change, so what is rendered from them is rendered once and served from
memory; only "which run is the latest" is asked of the store, at most every ``LATEST_TTL``
seconds, by one background refresh while readers keep the value they have (stale for at most
a second). Under many concurrent readers nothing queues on the store, which keeps the tail
latency low."""

from __future__ import annotations

import asyncio
import gzip
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from atrisk.store import queries
from atrisk.store.db import session

#: How long the id of the latest run is trusted before it is refreshed (seconds).
LATEST_TTL = 1.0
#: The oldest health answer served while a fresh check runs in the background (seconds).
HEALTH_STALE = 5.0
#: Rendered responses kept (oldest dropped first).
CACHE_SIZE = 512


@dataclass(frozen=True)
class Body:
    """A rendered response body, also gzip-compressed once: most clients accept gzip, and a
    small body leaves the server in one write instead of waiting on a slow reader."""

    content: bytes
    media_type: str
    gzipped: bytes

    @classmethod
    def of(cls, content: bytes, media_type: str) -> Body:
        return cls(content, media_type, gzip.compress(content, compresslevel=6, mtime=0))

    def response(self, request: Request) -> Response:
        if "gzip" in request.headers.get("accept-encoding", ""):
            return Response(self.gzipped, media_type=self.media_type,
                            headers={"content-encoding": "gzip", "vary": "Accept-Encoding"})
        return Response(self.content, media_type=self.media_type,
                        headers={"vary": "Accept-Encoding"})


@dataclass(frozen=True)
class Health:
    database: str
    structural_run: int | None
    monthly_run: int | None


class RunCache:
    """Latest-run ids and rendered bodies keyed by the runs they show."""

    def __init__(self, database_url: str) -> None:
        self.url = database_url
        self.seen: dict[str, tuple[int | None, float]] = {}
        self.bodies: OrderedDict[tuple[Any, ...], Body] = OrderedDict()
        self._refreshing: set[str] = set()
        self._tasks: set[asyncio.Task[None]] = set()
        self._locks: dict[tuple[Any, ...], asyncio.Lock] = {}
        self._health: tuple[float, Health] | None = None
        self._health_lock = asyncio.Lock()

    async def latest(self, kind: str) -> int | None:
        """The latest run's id: from memory (refreshed in the background once it is older
        than ``LATEST_TTL``), from the store only the first time."""
        seen = self.seen.get(kind)
        if seen is None:
            return await run_in_threadpool(self.read_latest, kind)
        if time.monotonic() - seen[1] > LATEST_TTL and kind not in self._refreshing:
            self._refreshing.add(kind)
            task = asyncio.get_running_loop().create_task(self._refresh(kind))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
        return seen[0]

    def read_latest(self, kind: str) -> int | None:
        """Ask the store now (blocking) and remember the answer."""
        with session(self.url) as s:
            run_id = queries.latest_run_id(s, kind)
        self.seen[kind] = (run_id, time.monotonic())
        return run_id

    async def _refresh(self, kind: str) -> None:
        try:
            await run_in_threadpool(self.read_latest, kind)
        finally:
            self._refreshing.discard(kind)

    async def health(self) -> Health:
        """The store's answer to a health check, asked at most once every ``LATEST_TTL``.
        A reader never waits on that round trip while the last answer is younger than
        ``HEALTH_STALE``: it gets the last answer and the check runs in the background. A
        failed check forgets the answer, so the next call checks again and raises when the
        store still does not answer."""
        last = self._health
        age = time.monotonic() - last[0] if last is not None else float("inf")
        if last is not None and age <= HEALTH_STALE:
            if age > LATEST_TTL and not self._health_lock.locked():
                task = asyncio.get_running_loop().create_task(self._refresh_health())
                self._tasks.add(task)
                task.add_done_callback(self._tasks.discard)
            return last[1]
        async with self._health_lock:
            if self._health is None or time.monotonic() - self._health[0] > LATEST_TTL:
                found = await run_in_threadpool(self._check)
                self._health = (time.monotonic(), found)
        return self._health[1]

    async def _refresh_health(self) -> None:
        async with self._health_lock:
            if self._health is not None and time.monotonic() - self._health[0] <= LATEST_TTL:
                return
            try:
                found = await run_in_threadpool(self._check)
            except SQLAlchemyError:
                self._health = None  # the next call checks, and answers 503
                return
            self._health = (time.monotonic(), found)

    def _check(self) -> Health:
        with session(self.url) as s:
            s.execute(text("SELECT 1"))
            return Health(s.get_bind().dialect.name, queries.latest_run_id(s, "structural"),
                          queries.latest_run_id(s, "monthly"))

    async def body(self, key: tuple[Any, ...], render: Callable[[], Body]) -> Body:
        """The cached body for ``key``, rendered once (in a worker thread) on first use even
        when many readers ask at the same moment."""
        found = self.bodies.get(key)
        if found is not None:
            return found
        lock = self._locks.setdefault(key, asyncio.Lock())
        try:
            async with lock:
                found = self.bodies.get(key)
                if found is None:
                    found = await run_in_threadpool(render)
                    self.bodies[key] = found
                    if len(self.bodies) > CACHE_SIZE:
                        self.bodies.popitem(last=False)
        finally:  # a lock lives only while a render is under way, failed renders included
            if not lock.locked() and self._locks.get(key) is lock:
                del self._locks[key]
        return found
