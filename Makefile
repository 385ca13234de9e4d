# One-command entry points; see README.md.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: test lint typecheck unit e2e tools cluster-up cluster-down demo clean

test: $(STAMP) tools lint typecheck
	$(BIN)/pytest tests

$(STAMP): pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -c constraints.txt -e '.[dev]'
	touch $(STAMP)

tools:
	hack/build-tools

lint: $(STAMP)
	$(BIN)/ruff check src tests
	$(BIN)/ruff format --check src tests
	$(BIN)/lint-imports

typecheck: $(STAMP)
	$(BIN)/mypy

unit: $(STAMP)
	$(BIN)/pytest tests/unit

e2e: $(STAMP) tools
	$(BIN)/pytest tests/e2e

cluster-up: tools
	hack/local-cluster up

cluster-down:
	hack/local-cluster down

demo: $(STAMP) tools
	$(BIN)/python hack/demo.py

clean:
	-hack/local-cluster down
	rm -rf $(VENV) .tools .pytest_cache .mypy_cache .ruff_cache
