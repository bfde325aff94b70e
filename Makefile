# Yiwang — the two commands of the README, each doing its own idempotent set-up.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml | sha256sum | cut -c1-16)

.PHONY: demo test lint typecheck bench venv clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(STAMP): $(BIN)/python pyproject.toml
	$(BIN)/python -m pip install --quiet --upgrade pip setuptools wheel
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	rm -f $(VENV)/.installed-*
	touch $(STAMP)

venv: $(STAMP)

## make demo: the platform with realistic demo data on SQLite at http://127.0.0.1:$(PORT)
# The demo deployment is Zhejiang's provincial node of the national network (federation demo data).
DEMO_NODE := YIWANG_NODE_CODE=330000 YIWANG_NODE_NAME=浙江省政务服务平台 YIWANG_NODE_ROLE=node

demo: $(STAMP)
	$(BIN)/yiwang migrate --noinput
	$(DEMO_NODE) $(BIN)/yiwang demo load
	$(DEMO_NODE) \
	YIWANG_POPULATION_REGISTRY=yiwang.exchange.registries.ExchangePopulationRegistry \
	YIWANG_LEGAL_ENTITY_REGISTRY=yiwang.exchange.registries.ExchangeLegalEntityRegistry \
	$(BIN)/yiwang serve --port $(PORT)

## make test: the whole suite (unit, API, browser), in parallel
test: $(STAMP)
	YIWANG_CACHE_PREFIX=test-$$(date +%s%N)- $(BIN)/python -m pytest -n auto --dist loadgroup -q $(PYTEST_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench

typecheck: $(STAMP)
	$(BIN)/mypy

bench: $(STAMP)
	$(BIN)/python bench/run.py $(BENCH_ARGS)

clean:
	rm -rf $(VENV) data/
