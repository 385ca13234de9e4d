# One-command entry points; see README.md.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: test lint typecheck unit e2e tools debs manifests cluster-up cluster-down demo soak clean

test: $(STAMP) tools debs lint typecheck
	$(BIN)/pytest tests

$(STAMP): pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -c constraints.txt -e '.[dev]'
	touch $(STAMP)

tools:
	hack/build-tools

# Debian packages the tests use: promtool and the Prometheus server (alert rules, the scrape test).
debs:
	hack/ensure-debs prometheus

lint: $(STAMP)
	$(BIN)/ruff check src tests
	$(BIN)/ruff format --check src tests
	$(BIN)/lint-imports

typecheck: $(STAMP)
	$(BIN)/mypy

unit: $(STAMP) tools debs
	$(BIN)/pytest tests/unit

e2e: $(STAMP) tools debs
	$(BIN)/pytest tests/e2e

# Regenerates the plain manifests from the chart (a test checks they are up to date).
manifests: tools
	.tools/bin/helm template adobe-oauth-operator charts/adobe-oauth-operator \
	  --namespace adobe-oauth-operator --kube-version 1.36.3 --include-crds \
	  > deploy/adobe-oauth-operator.yaml

cluster-up: tools
	hack/local-cluster up

cluster-down:
	hack/local-cluster down

demo: $(STAMP) tools
	$(BIN)/python hack/demo.py

# The seeded fault soak at length (about 20 minutes of faults); SEED, DURATION or STEPS,
# CREDENTIALS, KINDS, DOWN_S, CONVERGE_S, SOAK_DIR: see hack/soak.py. A short one runs in `make test`.
soak: $(STAMP) tools
	$(BIN)/python hack/soak.py

clean:
	-hack/local-cluster down
	rm -rf $(VENV) .tools .pytest_cache .mypy_cache .ruff_cache
