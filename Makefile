# LLM Flight Recorder — developer commands. `make help` lists them.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# The local stack's base URL port; its functions take the ports after it.
LOCAL_PORT ?= 8080
export PYTHONPATH := $(CURDIR)/functions

.DEFAULT_GOAL := help
.PHONY: help install run run-gemini seed e2e bench bench-smoke test lint typecheck unit fuzz openapi shellcheck \
	deploy deploy-dashboard destroy clean

# Show the targets and what they do.
help:
	@awk '/^# / { doc = substr($$0, 3) } /^[a-z-]+:/ { if (doc) printf "  %-18s %s\n", $$1, doc; doc = "" }' Makefile

# ---------------------------------------------------------------- set-up

# Create the virtual environment and install everything (re-run when the requirement files change).
install: $(STAMP)

$(STAMP): requirements.txt functions/requirements.txt dashboard/requirements.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.txt
	touch $(STAMP)

# ---------------------------------------------------------------- running

# Start every function (mock provider, embedded store in .data/) and the dashboard, and print the URLs.
run: install
	LOCAL_PORT=$(LOCAL_PORT) $(BIN)/python -m flight_recorder.devserver

# The same in Gemini mode, against a local stand-in of the Gemini API (no key).
run-gemini: install
	GEMINI_STANDIN=1 $(BIN)/python -m flight_recorder.devserver

CHAT_URL ?= http://127.0.0.1:$(LOCAL_PORT)/chat

# Send prompts from a CSV or JSONL file through the local chat function: make seed FILE=../shared/data/prompts.csv N=50.
seed: install
	@test -n "$(FILE)" || { echo "usage: make seed FILE=prompts.csv|.jsonl [N=50] [CHAT_URL=$(CHAT_URL)]" >&2; exit 2; }
	FLIGHT_RECORDER_API_KEY="$${FLIGHT_RECORDER_API_KEY:-$$(cat .data/api-key 2>/dev/null)}" \
	  $(BIN)/python -m flight_recorder.seed --file "$(FILE)" --chat-url "$(CHAT_URL)" $(if $(N),--n "$(N)")

# ---------------------------------------------------------------- checks

# Linters, type checker and the whole test suite.
test: lint typecheck unit

# Ruff's linter and formatter check, and shellcheck over the deploy scripts.
lint: install shellcheck
	$(BIN)/ruff check functions tests dashboard
	$(BIN)/ruff format --check functions tests dashboard

# Shellcheck over infra/ (installed from Debian's packages when missing).
shellcheck:
	command -v shellcheck >/dev/null || \
		(apt-get update -qq && apt-get install -y -qq shellcheck >/dev/null)
	shellcheck --external-sources infra/*.sh

# Mypy over the shared package.
typecheck: install
	$(BIN)/mypy

# The pytest suite (set MONGODB_TEST_URI to also run the store tests on MongoDB).
unit: install
	$(BIN)/pytest

# Browser tests: the local stack and dashboard in headless Chromium (Debian's, installed when missing).
e2e: install
	command -v chromium >/dev/null || \
		(apt-get update -qq && apt-get install -y -qq chromium chromium-driver >/dev/null)
	E2E_SCREENSHOTS="$(CURDIR)/.data/e2e-screenshots" $(BIN)/pytest tests/e2e -m e2e

# Schemathesis against the functions served over HTTP (EXAMPLES per operation).
fuzz: install
	$(BIN)/python tests/fuzz.py --max-examples $(or $(EXAMPLES),50)

# Rebuild functions/openapi.json from the code (a test fails when it is stale).
openapi: install
	$(BIN)/python -m flight_recorder.openapi > functions/openapi.json

# ---------------------------------------------------------------- benchmark

# What recording costs per call, against a bare function (about 15 minutes; tests/bench/results/latest.json).
bench: install
	$(BIN)/python tests/bench/run.py

# The benchmark with tiny counts, to check that it runs (about 30 seconds; its figures mean nothing).
bench-smoke: install
	$(BIN)/python tests/bench/run.py --quick --output tests/bench/results/quick.json

# ---------------------------------------------------------------- Google Cloud
# PROJECT= and REGION= are optional (else the environment, else gcloud's
# configuration); DRY_RUN=1 prints the commands instead of running them.

# Deploy every function from functions/ as a Cloud Run function.
deploy:
	infra/deploy_functions.sh $(if $(PROJECT),--project=$(PROJECT)) $(if $(REGION),--region=$(REGION))

# Deploy the dashboard to Cloud Run, pointed at the deployed functions.
deploy-dashboard:
	infra/deploy_dashboard.sh $(if $(PROJECT),--project=$(PROJECT)) $(if $(REGION),--region=$(REGION))

# Delete the functions, dashboard, secrets and service accounts (asks first).
destroy:
	infra/destroy.sh $(if $(PROJECT),--project=$(PROJECT)) $(if $(REGION),--region=$(REGION))

# ---------------------------------------------------------------- housekeeping

# Remove the environment and local data.
clean:
	rm -rf $(VENV) .data .pytest_cache .mypy_cache .ruff_cache
