"""The HTTP protocol ``atrisk serve`` speaks: uvicorn's (httptools) with a time limit on each
request's line and headers, which uvicorn lacks. Without it a client that opens connections
and sends its headers a byte at a time (slowloris) holds each one open for ever; the body is
bounded by ``guards.BodyLimit``, and idle connections by uvicorn's keep-alive time-out."""

from __future__ import annotations

import asyncio

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

#: Seconds a client has, from connecting (or from the end of its last response), to send a
#: complete request line and headers.
HEADER_SECONDS = 10.0


class TimedHttpProtocol(HttpToolsProtocol):
    """uvicorn's protocol, closing a connection whose request headers are too slow to come."""

    header_seconds = HEADER_SECONDS
    _headers_due: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._arm()

    def on_headers_complete(self) -> None:
        self._disarm()
        super().on_headers_complete()

    def on_response_complete(self) -> None:
        super().on_response_complete()
        if self.timeout_keep_alive_task is not None:  # idle: the next request is awaited
            self._arm()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)

    def _arm(self) -> None:
        self._disarm()
        self._headers_due = self.loop.call_later(self.header_seconds, self._too_slow)

    def _disarm(self) -> None:
        if self._headers_due is not None:
            self._headers_due.cancel()
            self._headers_due = None

    def _too_slow(self) -> None:
        self._headers_due = None
        if not self.transport.is_closing():
            self.transport.close()
