# Two commands do all the set-up on a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
SUDO := $(if $(filter 0,$(shell id -u)),,sudo)
export MATA_GARUDA_TEST_PG_URL ?= postgresql+psycopg://postgres@127.0.0.1:5432/test

.PHONY: run test lint unit chromium java bench clean

$(BIN)/activate:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/activate
	$(BIN)/pip install --quiet -e .
	touch $@

$(VENV)/.installed-dev: pyproject.toml | $(BIN)/activate
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@ $(VENV)/.installed

## Serve the dashboard at http://127.0.0.1:8050 (port: MATA_GARUDA_PORT), set up on first run.
run: $(VENV)/.installed
	$(BIN)/mata-garuda serve

## Lint, type-check and run every test (unit, PostgreSQL, browser).
test: $(VENV)/.installed-dev chromium java lint
	$(BIN)/pytest

lint: $(VENV)/.installed-dev
	$(BIN)/ruff check .
	$(BIN)/mypy

chromium:
	@test -x /usr/bin/chromium || ($(SUDO) apt-get update -qq && \
		$(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver)

## Java for the Spark rollup engine (lake/spark.py; tests run it on local[2]).
java:
	@command -v java >/dev/null || ($(SUDO) apt-get update -qq && \
		$(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq openjdk-17-jre-headless)

## Benchmarks (see benchmarks/README.md): the map, then the rollups. Only one part:
## `make bench BENCH=map` or `make bench BENCH=rollup ROLLUP_ARGS="--rows 10000000"`.
BENCH ?= all
bench: $(VENV)/.installed-dev chromium java
	$(if $(filter all map,$(BENCH)),$(BIN)/python -m benchmarks)
	$(if $(filter all rollup,$(BENCH)),$(BIN)/python -m benchmarks.rollup $(ROLLUP_ARGS))

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
