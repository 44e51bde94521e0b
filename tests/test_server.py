"""The server as ``atrisk serve`` runs it: a client that sends its request headers or body too
slowly (slowloris) loses the connection; a client that sends them in time is served."""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator

import pytest
from fastapi import FastAPI

from atrisk.http.protocol import TimedHttpProtocol
from conftest import serving


@pytest.fixture
def port(monkeypatch: pytest.MonkeyPatch) -> Iterator[int]:
    monkeypatch.setattr(TimedHttpProtocol, "header_seconds", 0.5)
    monkeypatch.setattr(TimedHttpProtocol, "body_seconds", 0.5)
    app = FastAPI()

    @app.get("/ping")
    def ping() -> dict[str, bool]:
        return {"ok": True}

    @app.post("/echo")
    def echo(body: dict[str, str]) -> dict[str, str]:
        return body

    with serving(app, http=TimedHttpProtocol) as port:
        yield port


def _closed(conn: socket.socket, within: float) -> bool:
    conn.settimeout(within)
    try:
        return conn.recv(1024) == b""
    except TimeoutError:
        return False


def test_slow_headers_lose_the_connection(port: int) -> None:
    with socket.create_connection(("127.0.0.1", port)) as conn:
        conn.sendall(b"GET /ping HTTP/1.1\r\nHost: x\r\n")  # never finished
        assert not _closed(conn, 0.2)  # still open within the limit ...
        assert _closed(conn, 2.0)  # ... closed after it


def test_headers_in_time_are_served_and_a_slow_second_request_is_cut(port: int) -> None:
    with socket.create_connection(("127.0.0.1", port)) as conn:
        time.sleep(0.3)
        conn.sendall(b"GET /ping HTTP/1.1\r\nHost: x\r\n\r\n")
        conn.settimeout(2)
        assert conn.recv(4096).startswith(b"HTTP/1.1 200")
        conn.sendall(b"GET /ping HTTP/1.1\r\n")  # the next request, left unfinished
        assert _closed(conn, 2.0)


def test_a_slow_body_loses_the_connection_and_one_in_time_is_served(port: int) -> None:
    head = b"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
    with socket.create_connection(("127.0.0.1", port)) as conn:
        conn.sendall(head + b"Content-Length: 100\r\n\r\n{\"a\"")  # 4 of 100 bytes
        assert _closed(conn, 2.0)
    with socket.create_connection(("127.0.0.1", port)) as conn:
        conn.sendall(head + b"Content-Length: 10\r\n\r\n{\"a\"")
        time.sleep(0.2)
        conn.sendall(b": \"b\"}")
        conn.settimeout(2)
        assert conn.recv(4096).startswith(b"HTTP/1.1 200")
