"""The engines the event pipeline runs on: DuckDB (embedded, the default) or Spark (local
or a cluster), both through Ibis, so every stage is one expression for both."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Literal

import ibis
from ibis.backends import BaseBackend

from atrisk.domain.errors import ConfigError

Engine = Literal["duckdb", "spark"]
ENGINES: tuple[Engine, ...] = ("duckdb", "spark")


def connect(engine: Engine = "duckdb", master: str | None = None,
            spill: Path | None = None) -> BaseBackend:
    """An Ibis connection: DuckDB in memory (spilling to ``spill`` when a stage outgrows
    memory; DuckDB's default is ``.tmp`` in the working directory), or a Spark session on
    ``master`` (default ``local[2]``; ``spark://host:port`` for a standalone cluster) with its
    UI off, bound to the loopback address unless ``SPARK_LOCAL_IP`` says otherwise."""
    if engine == "duckdb":
        con = ibis.duckdb.connect()
        if spill is not None:
            spill.mkdir(parents=True, exist_ok=True)
            con.raw_sql(f"SET temp_directory = '{spill}'")
        return con
    if engine != "spark":
        raise ConfigError(f"unknown engine {engine!r}; choose one of {', '.join(ENGINES)}")
    try:
        from pyspark.sql import SparkSession
    except ImportError as exc:  # the optional extra
        raise ConfigError("--engine spark needs pyspark: install atrisk with its 'spark' "
                          "extra (make install does)") from exc
    # Spark's JVM reads SPARK_LOCAL_IP for every address it binds or announces: keep all of
    # them on the loopback address unless told otherwise.
    host = os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
    active = SparkSession.getActiveSession()
    if active is not None and active.sparkContext.master != (master or "local[2]"):
        active.stop()  # one session per process: a new master needs a new one
    session = (SparkSession.builder.master(master or "local[2]")
               .appName("atrisk-events")
               .config("spark.ui.enabled", "false")
               .config("spark.ui.showConsoleProgress", "false")
               .config("spark.driver.host", host)
               .config("spark.driver.bindAddress", host)
               .config("spark.sql.session.timeZone", "UTC")
               .config("spark.sql.shuffle.partitions", "8")
               # local mode: the driver is the executor too (Spark's default is 1 GB)
               .config("spark.driver.memory", "6g")
               .config("spark.sql.ansi.enabled", "false")
               .getOrCreate())
    session.sparkContext.setLogLevel("ERROR")
    return ibis.pyspark.connect(session)


def engine_of(con: BaseBackend) -> Engine:
    return "spark" if con.name == "pyspark" else "duckdb"
