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

# Byte-compiled once, at install: every later start (the server's workers, each command, a
# back-test's workers) imports in half the time, also where PYTHONDONTWRITEBYTECODE is set.
.venv/.installed: pyproject.toml uv.lock
	@$(UV) --version >/dev/null 2>&1 || $(PYTHON) -m pip install --quiet --disable-pip-version-check uv
	$(UV) sync --frozen --all-extras --compile-bytecode
	@touch $@

# The dashboard serves Vega, Vega-Lite and Vega-Embed itself (never from a CDN).
node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	@touch $@

# Where `make run` builds and which port it serves on (the start-up benchmark sets both).
BUILD ?= build
PORT ?= 8000
export ATRISK_BUILD_DIR := $(BUILD)
ATRISK := $(UV) run --frozen atrisk

# The dashboard serves as soon as the data are built and the annual forecast made; the
# monthly forecast (about 2 minutes here), the sub-national forecasts shared out from it (the
# country pages' maps), the event tables (the Watch page), the back-tests (the track record)
# and the provisional forecast, which their figures gate, then the rolling-origin back-test
# of the monthly model (about 5 minutes), follow in the background (log:
# $(BUILD)/logs/background.log) and appear when they are published.
run: install
	$(ATRISK) refresh --no-monthly
	@mkdir -p $(BUILD)/logs
	@echo "the monthly and sub-national forecasts, the event tables, the back-tests and the provisional forecast continue in the background (log: $(BUILD)/logs/background.log)"
	( $(ATRISK) forecast monthly --out $(BUILD)/forecast_monthly.parquet \
	  && $(ATRISK) forecast subnational --country all --level both --out $(BUILD)/subnational ; \
	  ( $(ATRISK) events build && $(ATRISK) events evaluate ) ; \
	  $(ATRISK) backtest structural --models ewp_replica,simple,ensemble --out $(BUILD)/backtest_structural.parquet \
	  && $(ATRISK) backtest monthly --out $(BUILD)/backtest_monthly.parquet \
	  && $(ATRISK) forecast structural --year 2026 --provisional ; \
	  $(ATRISK) backtest monthly --origins rolling --out $(BUILD)/backtest_rolling.parquet \
	    --models exactly_zero,last_historical,conflictology_country12,bootstrap240,history_learned_negbin \
	  ) > $(BUILD)/logs/background.log 2>&1 &
	$(ATRISK) serve --port $(PORT)

lint: install
	$(UV) run --frozen ruff check src tests benchmarks
	$(UV) run --frozen mypy

test: lint
	$(UV) run --frozen pytest

# The inner loop: everything but the slow end-to-end runs (the full back-tests, the crash
# tests) and the Spark runs, which `make test` and CI still run.
test-fast: install
	$(UV) run --frozen pytest -m "not slow and not spark" -x -q

bench: install
	$(UV) run --frozen python benchmarks/structural.py
	$(UV) run --frozen python benchmarks/monthly.py

clean:
	rm -rf build .venv node_modules .pytest_cache .mypy_cache .ruff_cache
