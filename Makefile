# One way to do each thing. `make demo` and `make test` set everything up themselves.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: setup browser services demo test lint fmt bench dev clean

setup: $(STAMP)

$(STAMP): pyproject.toml requirements.lock
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip==26.3
	$(BIN)/pip install --quiet -c requirements.lock -e '.[test]'
	touch $(STAMP)

# Debian's Chromium for the dashboards' browser tests (Playwright drives it; nothing downloads
# at run time). Installed once, with apt, as root or through sudo.
browser:
	@command -v chromium >/dev/null || { \
	  SUDO=$$([ "$$(id -u)" = 0 ] || echo sudo); \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq chromium; }

# Debian's PostgreSQL binaries for the tests' own server: tests/services.py starts a throwaway
# cluster on 127.0.0.1 and a free port, so the package's own cluster is never used. Installed
# once, with apt, as root or through sudo.
services:
	@ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || { \
	  SUDO=$$([ "$$(id -u)" = 0 ] || echo sudo); \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq postgresql; }

demo: setup            ## sample logs -> warehouse -> summary
	$(BIN)/tokenworks demo

test: setup browser services  ## the whole test suite (what CI runs)
	$(BIN)/ruff check .
	$(BIN)/mypy
	$(BIN)/python -m pytest

lint: setup
	$(BIN)/ruff check .
	$(BIN)/mypy

fmt: setup             ## sort imports and apply ruff's safe fixes
	$(BIN)/ruff check --fix .

bench: setup browser   ## benchmark figures (not a test)
	$(BIN)/python bench/ingest_bench.py
	$(BIN)/python bench/cost_bench.py
	$(BIN)/python bench/estimate_bench.py
	$(BIN)/python bench/dashboard_bench.py
	$(BIN)/python bench/agent_bench.py
	$(BIN)/python bench/wrapper_bench.py

dev: setup             ## Dagster UI with the asset graph, sensor and schedule
	$(BIN)/dagster dev

clean:
	rm -rf data test-output bench-output
