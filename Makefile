# Havre — one entry point per job. Every target installs what it needs.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
PY     := $(BIN)/python
STAMP  := $(VENV)/.installed
SRC    := $(wildcard operator/havre devstack/devstack tests bench dashboards)

.PHONY: help bench crds dashboards venv lint format typecheck unit integration test stack-up stack-status stack-down demo clean federation-up federation-status federation-down chart operator-requirements

help:
	@echo "make demo          the whole platform on this machine, ending with a researcher's query"
	@echo "make test          lint, types, unit and integration tests (starts the local platform)"
	@echo "make bench         provisioning, revocation and scale figures into bench/results (docs/benchmarks.md)"
	@echo "make stack-up      start the local platform (Kubernetes, MinIO, PostgreSQL, Keycloak, Trino, Prometheus, helm)"
	@echo "make stack-status  show what runs and whether it answers"
	@echo "make stack-down    stop every process of the local platform"
	@echo "make federation-up a Karmada hub and two member clusters (docs/federation.md)"

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	# the local platform's package (devstack/devstack) is importable from the venv
	echo "$(CURDIR)/devstack" > "$$($(PY) -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')/havre-devstack.pth"
	touch $@

venv: $(STAMP)

lint: $(STAMP)
	$(BIN)/ruff check $(SRC)
	$(BIN)/ruff format --check $(SRC)

format: $(STAMP)
	$(BIN)/ruff check --fix $(SRC)
	$(BIN)/ruff format $(SRC)

typecheck: $(STAMP)
	$(BIN)/mypy --strict operator/havre devstack/devstack tests bench dashboards

unit: $(STAMP)
	$(BIN)/pytest tests/unit

integration: $(STAMP)
	$(BIN)/pytest tests/integration

# One pytest run so its closing line counts every test; pytest exits 5 when none ran.
test: lint typecheck
	$(BIN)/pytest tests/unit tests/integration

bench: $(STAMP)
	$(PY) -m bench

crds: $(STAMP)
	$(PY) -m havre.api.crdgen crds
	$(MAKE) chart

# The operator image's pins (Dockerfile and local image): the runtime dependencies, resolved.
operator-requirements:
	rm -rf .lock-venv && $(PYTHON) -m venv .lock-venv
	.lock-venv/bin/pip install --quiet .
	{ sed -n '1,3p' operator/requirements.txt; .lock-venv/bin/pip freeze --exclude havre; } > operator/requirements.txt.new
	mv operator/requirements.txt.new operator/requirements.txt && rm -rf .lock-venv

# The chart's copy of crds/ (CRDs, personas, admission policies, operator rules); a unit
# test fails when the copy differs from crds/.
chart:
	rm -rf charts/havre/files/crds && mkdir -p charts/havre/files/crds
	cp crds/*.yaml charts/havre/files/crds/
	if [ -d crds/defaults ]; then cp -r crds/defaults charts/havre/files/crds/; fi

# Grafana JSON from dashboards/ into the chart (a unit test checks they agree)
dashboards: $(STAMP)
	$(PY) -m dashboards

stack-up: $(STAMP)
	$(PY) -m devstack up

stack-status: $(STAMP)
	$(PY) -m devstack status

stack-down: $(STAMP)
	$(PY) -m devstack down

federation-up: $(STAMP)
	$(PY) -m devstack.federation up

federation-status: $(STAMP)
	$(PY) -m devstack.federation status

federation-down: $(STAMP)
	$(PY) -m devstack.federation down

demo: $(STAMP)
	$(PY) -m devstack.demo

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache
