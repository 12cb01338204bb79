# vigil: every target sets up what it needs; a fresh machine needs only python3 (3.11-3.13), node and npm.
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
PYTHON ?= python3
VENV := .venv
UV := $(VENV)/bin/uv
UV_VERSION := 0.13.8
PYTEST_ARGS ?=
export UV_PROJECT_ENVIRONMENT := $(VENV)
export JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION := 20
export PYTHONDONTWRITEBYTECODE := 1

.PHONY: help setup browser run demo test test-unit test-integration test-infra test-localstack lint typecheck bench synth layer-deps clean

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-18s %s\n", $$1, $$2}'

$(VENV)/.ready: pyproject.toml uv.lock
	@test -x $(UV) || { $(PYTHON) -m venv $(VENV) && $(VENV)/bin/pip install --quiet --disable-pip-version-check uv==$(UV_VERSION); }
	$(UV) sync --frozen --all-extras --quiet
	@touch $@

node_modules/.ready: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	@touch $@

# A Python 3.13 (the Lambda runtime's version) to precompile the layer with, if the machine has one.
PYTHON313 := $(firstword $(foreach candidate,python3.13 $(wildcard $(HOME)/.pyenv/versions/3.13*/bin/python3.13),\
	$(shell $(candidate) -c 'import sys; print(sys.executable)' 2>/dev/null)))

# Third-party packages for the Lambda dependencies layer: wheels for python3.13 on arm64 (Graviton),
# precompiled because /opt is read-only on Lambda: without .pyc files every cold start compiles them again.
build/layer-deps/.ready: uv.lock $(VENV)/.ready
	rm -rf build/layer-deps && mkdir -p build
	$(UV) export --frozen --no-dev --no-emit-project --no-hashes --quiet -o build/layer-requirements.txt
	$(UV) pip install --quiet --target build/layer-deps/python --python-platform aarch64-manylinux2014 \
		--python-version 3.13 --only-binary :all: -r build/layer-requirements.txt
	@if [ -n "$(PYTHON313)" ]; then \
		$(PYTHON313) -m compileall -q -j 0 --invalidation-mode unchecked-hash build/layer-deps/python; \
	else echo "note: no python3.13 found; the dependencies layer ships without precompiled bytecode"; fi
	@touch $@

setup: $(VENV)/.ready node_modules/.ready build/layer-deps/.ready ## install everything (Python, CDK CLI, layer)

layer-deps: build/layer-deps/.ready ## build the Lambda dependencies layer

run: setup ## start vigil on the local cloud (moto) and serve its API on 127.0.0.1
	$(VENV)/bin/vigil local up

demo: setup ## push demo metrics to the running local cloud
	$(VENV)/bin/vigil demo

lint: $(VENV)/.ready ## ruff: lint and format check
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

typecheck: $(VENV)/.ready ## mypy (strict)
	$(VENV)/bin/mypy layers/core/python/vigil_core cli/vigil_cli infra clients/python/vigil_client \
		$(wildcard functions/*/handler.py)

browser: ## Debian's chromium for the status page's browser tests (installed once, if missing)
	scripts/browser/install-chromium.sh

test: setup browser lint typecheck ## lint, type-check, run every suite on moto, then the LocalStack suite
	$(VENV)/bin/pytest -m "not localstack" $(PYTEST_ARGS)
	scripts/localstack/run-tests.sh

test-unit: $(VENV)/.ready ## unit tests only (no AWS, no network)
	$(VENV)/bin/pytest tests/unit $(PYTEST_ARGS)

test-integration: setup ## integration tests on moto and the local runtime
	$(VENV)/bin/pytest tests/integration $(PYTEST_ARGS)

test-infra: setup ## CDK assertions and cdk-nag
	$(VENV)/bin/pytest tests/infra $(PYTEST_ARGS)

test-localstack: setup ## the LocalStack suite: sets up and starts LocalStack on the host (no Docker)
	scripts/localstack/run-tests.sh $(PYTEST_ARGS)

synth: setup ## synthesize the CloudFormation template into cdk.out/
	npx cdk synth --quiet

bench: setup ## run the benchmarks; results in bench/results/latest.json
	$(VENV)/bin/python -m bench.run --output bench/results/latest.json

clean: ## remove everything the targets built
	-scripts/localstack/stop.sh
	rm -rf $(VENV) node_modules build cdk.out .vigil .localstack .pytest_cache .mypy_cache .ruff_cache
