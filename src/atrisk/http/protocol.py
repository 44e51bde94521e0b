"""The HTTP protocol ``atrisk serve`` speaks: uvicorn's (httptools) with time limits on each
request's headers and on its body, which uvicorn lacks. Without them a client that opens
connections and sends a byte at a time (slowloris) holds each one open for ever. The body's
size is bounded by ``guards.BodyLimit``, idle connections by uvicorn's keep-alive time-out."""

from __future__ import annotations

import asyncio

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

#: Seconds a client has, from connecting (or from the end of its last response), to send a
#: complete request line and headers.
HEADER_SECONDS = 10.0
#: Seconds a client has, from the end of its headers, to send the whole body (1 MiB at most).
BODY_SECONDS = 30.0


class TimedHttpProtocol(HttpToolsProtocol):
    """uvicorn's protocol, closing a connection whose request is too slow to come."""

    header_seconds = HEADER_SECONDS
    body_seconds = BODY_SECONDS
    _request_due: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._arm()

    def on_headers_complete(self) -> None:
        self._arm(self.body_seconds)
        super().on_headers_complete()

    def on_message_complete(self) -> None:
        self._disarm()
        super().on_message_complete()

    def on_response_complete(self) -> None:
        super().on_response_complete()
        if self.timeout_keep_alive_task is not None:  # idle: the next request is awaited
            self._arm()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)

    def _arm(self, seconds: float | None = None) -> None:
        self._disarm()
        self._request_due = self.loop.call_later(seconds or self.header_seconds,
                                                 self._too_slow)

    def _disarm(self) -> None:
        if self._request_due is not None:
            self._request_due.cancel()
            self._request_due = None

    def _too_slow(self) -> None:
        self._request_due = None
        if not self.transport.is_closing():
            self.transport.close()
