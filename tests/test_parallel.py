"""Fits in forked worker processes (loky's elsewhere): results in order, and no hang once the
parent has used LightGBM's OpenMP threads (GNU OpenMP hangs in a forked child that asks for
more than one)."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

from atrisk.models.parallel import map_processes


def _pid_and_square(x: int) -> tuple[int, int]:
    return os.getpid(), x * x


def test_results_come_back_in_order_from_other_processes() -> None:
    results = list(map_processes(_pid_and_square, list(range(20)), jobs=2))
    assert [square for _, square in results] == [x * x for x in range(20)]
    assert os.getpid() not in {pid for pid, _ in results}
    assert list(map_processes(_pid_and_square, [3], jobs=2)) == [(os.getpid(), 9)]


def test_lightgbm_fits_in_workers_after_the_parent_used_openmp() -> None:
    script = textwrap.dedent("""
        import numpy as np, lightgbm as lgb
        from atrisk.models.parallel import map_processes
        rng = np.random.default_rng(0)
        x = rng.normal(size=(5000, 10))
        y = (x[:, 0] + rng.normal(size=5000) > 1).astype(int)
        def fit(seed):
            booster = lgb.train({"objective": "binary", "verbose": -1, "seed": seed,
                                 "num_threads": 0}, lgb.Dataset(x, y), 20)
            return float(booster.predict(x[:3]).sum())
        first = fit(0)  # the parent's OpenMP thread pool now exists
        assert list(map_processes(fit, [0, 0, 0, 0], jobs=2)) == [first] * 4
        print("ok")
    """)
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "ok"


def test_elsewhere_than_linux_the_workers_are_started_by_loky(monkeypatch) -> None:
    """macOS and Windows do not fork safely: there joblib's loky starts the workers. The
    same answers in the same order, computed in other processes."""
    from types import SimpleNamespace

    import atrisk.models.parallel as parallel

    monkeypatch.setattr(parallel, "sys", SimpleNamespace(platform="darwin"))
    values = list(parallel.map_processes(abs, [-3, 1, -4, 1, -5], jobs=2))
    assert values == [3, 1, 4, 1, 5]
    pids = set(parallel.map_processes(_getpid, list(range(4)), jobs=2))
    assert os.getpid() not in pids


def _getpid(_: int) -> int:
    return os.getpid()
