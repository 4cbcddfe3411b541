# One way to do each thing. `make demo` and `make test` set everything up themselves.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: setup demo test lint bench dev clean

setup: $(STAMP)

$(STAMP): pyproject.toml requirements.lock
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip==26.3
	$(BIN)/pip install --quiet -c requirements.lock -e '.[test]'
	touch $(STAMP)

demo: setup            ## sample logs -> warehouse -> summary
	$(BIN)/tokenworks demo

test: setup            ## the whole test suite (what CI runs)
	$(BIN)/ruff check .
	$(BIN)/python -m pytest

lint: setup
	$(BIN)/ruff check .

bench: setup           ## benchmark figures (not a test)
	$(BIN)/python bench/ingest_bench.py
	$(BIN)/python bench/cost_bench.py

dev: setup             ## Dagster UI with the asset graph, sensor and schedule
	$(BIN)/dagster dev

clean:
	rm -rf data test-output bench-output
