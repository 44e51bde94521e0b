# Two commands set everything up: `make run` and `make test` (see README.md).
SHELL := /bin/bash
PYTHON ?= python3
UV := $(PYTHON) -m uv
# Use the local data mirror beside the checkout when there is one.
ifneq ($(wildcard ../shared/data),)
export ATRISK_MIRROR ?= $(abspath ../shared/data)
endif

.PHONY: install run test test-fast lint bench clean

install: .venv/.installed node_modules/.installed

.venv/.installed: pyproject.toml uv.lock
	@$(UV) --version >/dev/null 2>&1 || $(PYTHON) -m pip install --quiet --disable-pip-version-check uv
	$(UV) sync --frozen
	@touch $@

# The dashboard serves Vega, Vega-Lite and Vega-Embed itself (never from a CDN).
node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	@touch $@

run: install
	$(UV) run --frozen atrisk data build
	$(UV) run --frozen atrisk forecast structural --year 2025
	$(UV) run --frozen atrisk forecast monthly --out build/forecast_monthly.parquet
	$(UV) run --frozen atrisk backtest structural --models ewp_replica,simple,ensemble --out build/backtest_structural.parquet
	$(UV) run --frozen atrisk backtest monthly --out build/backtest_monthly.parquet
	$(UV) run --frozen atrisk forecast structural --year 2026 --provisional
	$(UV) run --frozen atrisk serve

lint: install
	$(UV) run --frozen ruff check src tests benchmarks
	$(UV) run --frozen mypy

test: lint
	$(UV) run --frozen pytest

# The inner loop: everything but the slow end-to-end runs (the full back-tests and the
# crash tests), which `make test` and CI still run.
test-fast: install
	$(UV) run --frozen pytest -m "not slow" -x -q

bench: install
	$(UV) run --frozen python benchmarks/structural.py
	$(UV) run --frozen python benchmarks/monthly.py

clean:
	rm -rf build .venv node_modules .pytest_cache .mypy_cache .ruff_cache
