# One-command entry points; see README.md.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
# The operator under test runs from a virtualenv with its runtime dependencies only (see below).
RUNTIME_VENV  := .tools/runtime-venv
RUNTIME_STAMP := $(RUNTIME_VENV)/.installed

# The operator image and its base (hack/image): the base is made here from Debian packages
# unless PYTHON_IMAGE names one buildah can find or pull (e.g. python:3.11-slim-bookworm).
IMAGE        ?= localhost/adobe-oauth-operator:dev
PYTHON_IMAGE ?= localhost/python-base:3.11-bookworm

.PHONY: test test-ready lint typecheck unit e2e tools manifests cluster-up cluster-down demo soak bench clean \
	image image-sizes debs-image debs release runtime-venv

# The suite runs on TEST_WORKERS processes (pytest-xdist), each e2e worker with a control plane of
# its own; the e2e tests mostly wait on the operator's timers, so one process leaves the cores idle.
# Tests are handed out one by one, longest first, except that a module sharing a module-scoped
# fixture is one unit (tests/conftest.py, tests/support/suite_order.py).
TEST_WORKERS ?= 3
PYTEST_PARALLEL := -n $(TEST_WORKERS)

test:
	$(MAKE) --jobs=4 --output-sync=line test-ready
	$(BIN)/pytest $(PYTEST_PARALLEL) tests

# What the suite needs, made side by side by `make test`: the Go tool builds keep the cores busy
# while pip, apt and buildah mostly wait on the network.
test-ready: $(STAMP) $(RUNTIME_STAMP) tools debs lint typecheck image

$(STAMP): pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -c constraints.txt -e '.[dev]'
	touch $(STAMP)

# The operator in the tests and the benchmark runs from a virtualenv with its runtime dependencies
# only, as in the image: in .venv the test tools make `import kubernetes` also load
# kubernetes-validate and jsonschema's format checkers (4 s of CPU at every operator start, and
# more memory). After $(STAMP): two editable installs of one tree at once could race on its
# build metadata.
$(RUNTIME_STAMP): pyproject.toml constraints.txt | $(STAMP)
	$(PYTHON) -m venv $(RUNTIME_VENV)
	$(RUNTIME_VENV)/bin/pip install --quiet -c constraints.txt -e .
	touch $(RUNTIME_STAMP)

tools:
	hack/build-tools

# Debian packages the tests use: promtool and the Prometheus server (alert rules, the scrape test).
debs:
	hack/ensure-debs prometheus

# Rebuilt only when its inputs change; the base is kept in buildah's storage between runs.
image: debs-image
	IMAGE=$(IMAGE) PYTHON_IMAGE=$(PYTHON_IMAGE) hack/image build

image-sizes:
	IMAGE=$(IMAGE) PYTHON_IMAGE=$(PYTHON_IMAGE) hack/image sizes

# After `debs`: one apt run at a time.
debs-image: | debs
	hack/ensure-debs buildah mmdebstrap

# A release (hack/release): the image pushed by digest, the chart (naming that digest) pushed to
# oci://$(REGISTRY)/charts, an SBOM and SLSA provenance attached, image and chart signed with
# cosign. REGISTRY is where releases are published: the maintainers set it (the placeholder
# below is refused). COSIGN_KEY/COSIGN_PASSWORD: the signing key; without COSIGN_KEY a key pair
# is generated for the release (COSIGN_PASSWORD protects it). Output: dist/$(VERSION)/.
REGISTRY ?= registry.example.com/adobe-oauth-operator
VERSION  ?=

release: $(STAMP) tools debs-image
	@test -n "$(VERSION)" || { echo "usage: make release VERSION=x.y.z [REGISTRY=...]" >&2; exit 2; }
	REGISTRY=$(REGISTRY) PYTHON_IMAGE=$(PYTHON_IMAGE) hack/release $(VERSION)

lint: $(STAMP)
	$(BIN)/ruff check src tests
	$(BIN)/ruff format --check src tests
	$(BIN)/lint-imports

typecheck: $(STAMP)
	$(BIN)/mypy

unit: $(STAMP) tools debs
	$(BIN)/pytest tests/unit

e2e: $(STAMP) $(RUNTIME_STAMP) tools debs image
	$(BIN)/pytest $(PYTEST_PARALLEL) tests/e2e

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
soak: $(STAMP) $(RUNTIME_STAMP) tools
	$(BIN)/python hack/soak.py

# The scale benchmark on a cluster of its own (N=1000 credentials, M=100 rotations by default;
# SHAPES, IDLE_S, OPERATOR_ARGS...: see hack/bench.py). Prints one JSON line per shape.
bench: $(STAMP) $(RUNTIME_STAMP) tools
	OPERATOR_BIN=$(RUNTIME_VENV)/bin/adobe-oauth-operator $(BIN)/python hack/bench.py

runtime-venv: $(RUNTIME_STAMP)

clean:
	-hack/local-cluster down
	-IMAGE=$(IMAGE) hack/image clean
	rm -rf $(VENV) .tools .pytest_cache .mypy_cache .ruff_cache
