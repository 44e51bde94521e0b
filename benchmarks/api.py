"""Latency under load: p50 and p99 of every public page and endpoint (overview, a country
page, track record, methods, the structural list, the per-country API, health) with 50
concurrent clients, against ``atrisk serve`` on the embedded default (SQLite) on loopback.

Run after ``make run`` (it needs a published forecast): ``uv run python benchmarks/api.py``.
With Debian's ``wrk`` installed the load comes from it (10 s, one thread; a Python client
costs more CPU than the server on a 2-core machine); otherwise from httpx, bounded to
``REQUESTS`` requests. Either way the load stays on 127.0.0.1.
"""

from __future__ import annotations

import asyncio
import os
import re
import shutil
import socket
import subprocess
import sys
import time

import httpx
import numpy as np

CLIENTS = 50
REQUESTS = 2000
PATHS = ("/api/forecasts/structural/latest", "/", "/countries/SDN", "/track-record",
         "/methods", "/api/countries/SDN", "/healthz")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def _load(base: str, path: str) -> list[float]:
    times: list[float] = []
    queue: asyncio.Queue[int] = asyncio.Queue()
    for i in range(REQUESTS):
        queue.put_nowait(i)

    async def client() -> None:
        async with httpx.AsyncClient(base_url=base, timeout=30) as http:
            while not queue.empty():
                queue.get_nowait()
                start = time.perf_counter()
                response = await http.get(path)
                times.append(time.perf_counter() - start)
                response.raise_for_status()

    await asyncio.gather(*(client() for _ in range(CLIENTS)))
    return times


def _wrk(wrk: str, url: str, gzip: bool) -> str:
    header = ["-H", "Accept-Encoding: gzip"] if gzip else []
    out = subprocess.run([wrk, "-t1", f"-c{CLIENTS}", "-d10s", "--latency", *header, url],
                         capture_output=True, text=True, check=True, timeout=60).stdout
    p50 = re.search(r"50%\s+([\d.]+)(us|ms|s)", out)
    p99 = re.search(r"99%\s+([\d.]+)(us|ms|s)", out)
    rate = re.search(r"Requests/sec:\s+([\d.]+)", out)
    if not (p50 and p99 and rate):
        raise RuntimeError(f"could not read wrk's output:\n{out}")
    scale = {"us": 0.001, "ms": 1.0, "s": 1000.0}
    path = url.split("/", 3)[-1]
    return (f"| `/{path}` | {'gzip' if gzip else 'identity'} | "
            f"{float(p50[1]) * scale[p50[2]]:.1f} | "
            f"{float(p99[1]) * scale[p99[2]]:.1f} | {float(rate[1]):.0f} |")


def main() -> None:
    port = _free_port()
    server = subprocess.Popen([sys.executable, "-m", "atrisk.cli.main", "serve", "--port",
                               str(port)], env=os.environ.copy())
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            try:
                if httpx.get(base + "/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.2)
        wrk = shutil.which("wrk")
        tool = "wrk, 10 s" if wrk else f"httpx, {REQUESTS} requests"
        print(f"{CLIENTS} concurrent clients ({tool}) per path, `atrisk serve` (2 workers), "
              "SQLite "
              "store\n")
        print("| path | encoding | p50 ms | p99 ms | requests/s |\n|---|---|---:|---:|---:|")
        for path in PATHS:
            if wrk:
                subprocess.run([wrk, "-t1", f"-c{CLIENTS}", "-d3s", base + path],
                               capture_output=True, check=True, timeout=60)  # warm up
                for gzip in (True, False):  # browsers and HTTP libraries ask for gzip
                    print(_wrk(wrk, base + path, gzip))
                continue
            start = time.perf_counter()
            times = np.array(asyncio.run(_load(base, path))) * 1000
            rate = REQUESTS / (time.perf_counter() - start)
            print(f"| `{path}` | gzip | {np.percentile(times, 50):.1f} | "
                  f"{np.percentile(times, 99):.1f} | {rate:.0f} |")
    finally:
        server.terminate()
        server.wait(timeout=10)


if __name__ == "__main__":
    main()
