"""Time `make run` from a fresh build folder to a dashboard that serves the forecasts, and on
to the end of the back-tests it runs in the background.

Run: ``uv run python benchmarks/startup.py`` (dependencies installed; the data mirror set).
It starts ``make run BUILD=<temporary folder> PORT=<free port>``, polls the overview until it
answers 200 with a forecast on it, then follows the background log: when the monthly
forecast is published, and whether the provisional forecast was; then it stops everything it
started.
"""

from __future__ import annotations

import argparse
import os
import signal
import socket
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _serves(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as resp:
            return resp.status == 200 and b"risk" in resp.read()
    except (urllib.error.URLError, OSError):
        return False


def _text(path: Path) -> str:
    return path.read_text() if path.exists() else ""


def _outside_venv() -> dict[str, str]:
    """The environment as a new user's shell has it: ``uv run`` puts the project's virtual
    environment first on PATH, where ``python3 -m uv`` (the Makefile's) does not exist."""
    env = {k: v for k, v in os.environ.items() if k != "VIRTUAL_ENV"}
    venv = str(ROOT / ".venv")
    env["PATH"] = os.pathsep.join(d for d in env.get("PATH", "").split(os.pathsep)
                                  if not d.startswith(venv))
    return env


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--until", choices=("monthly", "everything"), default="everything",
                        help="Stop once the monthly forecast is published, or after the "
                             "back-tests and the provisional forecast (default).")
    until = parser.parse_args().until
    port = _free_port()
    with tempfile.TemporaryDirectory() as tmp:
        build = Path(tmp) / "build"
        started = time.perf_counter()
        proc = subprocess.Popen(["make", "run", f"BUILD={build}", f"PORT={port}"], cwd=ROOT,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                start_new_session=True, env=_outside_venv())
        try:
            while not _serves(f"http://127.0.0.1:{port}/"):
                if proc.poll() is not None:
                    raise SystemExit(f"make run stopped (exit {proc.returncode})")
                time.sleep(0.5)
            serving = time.perf_counter() - started
            log = build / "logs" / "background.log"
            monthly = None
            while not any(end in line for line in _text(log).splitlines()
                          if line.startswith("stored ")
                          for end in ("published as run", "not published")):
                if "error:" in _text(log) or "Traceback" in _text(log):
                    raise SystemExit(f"the background work failed: see {log}")
                if monthly is None and "draws in " in _text(log):  # the monthly forecast
                    monthly = time.perf_counter() - started
                    if until == "monthly":
                        break
                time.sleep(1)
            done = time.perf_counter() - started
            outcome = next((line for line in reversed(_text(log).splitlines())
                            if line.startswith("stored ") and "published" in line),
                           "(not waited for)")
        finally:
            os.killpg(proc.pid, signal.SIGTERM)
            proc.wait(timeout=30)
    print(f"{os.cpu_count()} cores\n")
    print("| make run (fresh build folder) | seconds |\n|---|---:|")
    print(f"| dashboard serving the annual forecast | {serving:.0f} |")
    print(f"| monthly forecast published (background) | {monthly or float('nan'):.0f} |")
    if until == "everything":
        print(f"| back-tests and provisional forecast done (background) | {done:.0f} |")
    print(f"\nthe provisional forecast: {outcome.strip()}")


if __name__ == "__main__":
    main()
