# retail-lake: `make run` and `make test` each set everything up themselves.
SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
LAKE ?= lake

.PHONY: help setup system-deps venv run test rehearse rehearsal-envs bench lint format clean

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-12s %s\n", $$1, $$2}'

system-deps: ## install a JVM, MariaDB + its JDBC jar, Chromium and Node.js via apt (as root), or say what is missing
	@missing=""; \
	command -v java >/dev/null 2>&1 || missing="$$missing default-jre-headless"; \
	{ command -v mariadbd >/dev/null 2>&1 || test -x /usr/sbin/mariadbd; } || missing="$$missing mariadb-server"; \
	test -f /usr/share/java/mariadb-java-client.jar || missing="$$missing libmariadb-java"; \
	command -v chromium >/dev/null 2>&1 || missing="$$missing chromium"; \
	command -v npm >/dev/null 2>&1 || missing="$$missing nodejs npm"; \
	$(PYTHON) -c 'import venv, ensurepip' >/dev/null 2>&1 || missing="$$missing python3-venv"; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then \
	    echo "installing:$$missing"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing >/dev/null; \
	  else \
	    echo "missing system packages:$$missing"; \
	    echo "install them with: sudo apt-get install$$missing"; exit 1; \
	  fi; \
	fi

$(BIN)/.installed: requirements.lock.txt pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --disable-pip-version-check -r requirements.lock.txt
	$(BIN)/pip install -q --disable-pip-version-check --no-deps -e .
	@touch $@

venv: $(BIN)/.installed ## create .venv with the pinned packages

# checkov (the CloudFormation policy scanner) pins packages that clash with ours,
# so it gets a virtual environment of its own.
CHECKOV_VENV := .venv-checkov
$(CHECKOV_VENV)/.installed:
	$(PYTHON) -m venv $(CHECKOV_VENV)
	$(CHECKOV_VENV)/bin/pip install -q --disable-pip-version-check checkov==3.3.30
	@touch $@

setup: system-deps venv ## everything `run` and `test` need

run: setup ## generate data, load it into a throwaway MariaDB, run the daily pipeline
	$(BIN)/retail-lake demo --lake $(LAKE)

# Two pytest workers, each running whole modules (a module's fixtures are built
# once); the slowest modules start first (tests/conftest.py). TEST_WORKERS=0 runs
# everything in one process. The two workers keep both cores busy, so the JVMs the
# tests start for one job each (rehearsal jobs, CLI runs, notebooks) skip the C2 JIT
# and use the serial collector: less CPU spent besides the work. Spark adds
# SPARK_SUBMIT_OPTS to every driver it starts; the session's shared JVM, which lives
# for the whole run, starts without it (tests/conftest.py).
TEST_WORKERS ?= 2
TEST_JVM_OPTS ?= -XX:TieredStopAtLevel=1 -XX:+UseSerialGC
test: setup $(CHECKOV_VENV)/.installed rehearsal-envs ## the whole test suite (Spark, MariaDB, moto, cfn-lint, checkov, the rehearsal)
	SPARK_SUBMIT_OPTS="$(TEST_JVM_OPTS)" $(BIN)/python -m pytest -n $(TEST_WORKERS) --dist loadfile --no-loadscope-reorder --durations=25

# The rehearsal's environments (Glue 5.0 and EMR Serverless mirrors, asl-validator),
# cached in .rehearsal/ like the checkov venv: rebuilt only when their requirements change.
rehearsal-envs: setup
	$(BIN)/python -m tests.rehearsal

rehearse: setup rehearsal-envs ## deploy onto moto and run the jobs the way Glue 5.0 and EMR Serverless run them
	SPARK_SUBMIT_OPTS="$(TEST_JVM_OPTS)" $(BIN)/python -m pytest -m rehearsal

# e.g. make bench BENCH_ARGS="--scales 1M --history 7 90 --repeats 1" for a quick look
BENCH_ARGS ?=
bench: setup ## benchmarks (1M/10M/30M sales rows, 7/90/365 days of history) -> docs/benchmarks.md, docs/cost.md
	$(BIN)/python -m benchmarks $(BENCH_ARGS)

lint: venv ## ruff lint and format check
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: venv ## apply ruff formatting
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

SUPERSET_PORT ?= 8088
.PHONY: superset superset-screenshot
superset: ## Superset (own venv) on the local lake's DuckDB catalog with the dashboard, on 127.0.0.1:8088
	PYTHON=$(PYTHON) SUPERSET_PORT=$(SUPERSET_PORT) superset/run_local.sh $(LAKE)

superset-screenshot: ## refresh docs/superset_dashboard.png (needs Debian chromium and chromium-driver)
	PYTHON=$(PYTHON) superset/run_local.sh $(LAKE) --screenshot docs/superset_dashboard.png

clean: ## remove the venvs, the demo lake and caches
	rm -rf $(VENV) $(CHECKOV_VENV) .rehearsal .venv-superset .local/superset $(LAKE) build dist *.egg-info .pytest_cache .ruff_cache
