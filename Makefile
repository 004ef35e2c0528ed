# sped-placements: every target bootstraps its own environment from the lock file.
# `make demo` runs the main job; `make test` runs the suite (what .ci/run calls).

SHELL := /bin/bash
PYTHON ?= python3
UV_VERSION := 0.13.9
TOOLS := .tools
UV := $(TOOLS)/bin/uv
VENV := .venv
BIN := $(VENV)/bin
export UV_COMPILE_BYTECODE := 1
export UV_PROJECT_ENVIRONMENT := $(VENV)
export DBT_PROFILES_DIR := $(CURDIR)/dbt

DEMO_DIR ?= data/demo
SCALE ?= state
YEARS ?= 3
SEED ?= 20261001
PYTEST_ARGS ?=

.PHONY: env browser demo serve dagster test lint standalone format bench clean

# Browser tests drive Debian's chromium (never a browser downloaded by Playwright).
CHROMIUM := /usr/bin/chromium
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

$(UV):
	$(PYTHON) -m venv $(TOOLS)
	$(TOOLS)/bin/pip install --quiet uv==$(UV_VERSION)

$(VENV)/.synced: $(UV) pyproject.toml uv.lock
	$(UV) sync --frozen --all-groups
	touch $@

env: $(VENV)/.synced  ## create .venv from uv.lock

$(CHROMIUM):
	$(SUDO) apt-get update -q
	DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -q chromium

browser: $(CHROMIUM)  ## Debian's chromium for the browser tests

DEMO_WAREHOUSE := $(CURDIR)/$(DEMO_DIR)/warehouse/warehouse.duckdb
DEMO_DAGSTER_HOME := $(CURDIR)/$(DEMO_DIR)/warehouse/dagster

# One state per installation: every demo starts from an empty installation, so two scales
# never mix in one warehouse.
demo: env  ## synthetic state through the whole pipeline, in a fresh installation, then serve it
	@if [ -e $(DEMO_DIR)/landing ] || [ -e $(DEMO_DIR)/warehouse ]; then \
	  echo "make demo: removing the previous demo ($(DEMO_DIR)/landing, $(DEMO_DIR)/warehouse): one state per installation"; \
	  rm -rf $(DEMO_DIR)/landing $(DEMO_DIR)/warehouse; \
	fi
	$(BIN)/sped generate --scale $(SCALE) --years $(YEARS) --seed $(SEED) --out $(DEMO_DIR)/landing
	$(BIN)/sped init --warehouse $(DEMO_WAREHOUSE)
	$(BIN)/sped pipeline --landing $(DEMO_DIR)/landing --warehouse $(DEMO_WAREHOUSE)
	$(BIN)/sped docs --warehouse $(DEMO_WAREHOUSE)
	$(BIN)/python -m sped.web.demo_accounts --warehouse $(DEMO_WAREHOUSE)
	$(BIN)/python -m sped.generate.demo_outcome --landing $(DEMO_DIR)/landing --warehouse $(DEMO_WAREHOUSE)
	@if [ -n "$(DEMO_NO_SERVE)" ]; then echo "make demo: not serving (DEMO_NO_SERVE); make serve starts the portal"; \
	else echo "make demo: serving the portal and the Dagster UI (Ctrl-C stops both; make serve starts them again)"; \
	  $(MAKE) --no-print-directory serve; fi

DAGSTER_PORT ?= 3000

# The Dagster UI on the demo installation: its own instance (runs, materializations, checks of
# every `sped pipeline` run) in $(DEMO_DIR)/warehouse/dagster. Listens on 127.0.0.1 only.
# `dagster dev` says it is superseded by `dg dev`, but `dg` is a separate package
# (dagster-dg-cli) that uv.lock does not hold; `dagster dev` starts the same webserver and daemon.
# Defaults: the inbox sensor (new_submissions) runs, the nightly schedule is stopped (turn it on
# in the UI); runs carry the tag sped/trigger (cli, portal, sensor, schedule).
dagster: env  ## the Dagster UI on the demo installation (http://127.0.0.1:$(DAGSTER_PORT))
	@test -e $(DEMO_WAREHOUSE) || { echo "make dagster: no demo installation yet: run make demo first" >&2; exit 2; }
	$(BIN)/python -c "import sys; from sped.config.settings import installation; from sped.frameworks.dagster_home import ensure_dagster_home; ensure_dagster_home(installation(sys.argv[1]))" $(DEMO_WAREHOUSE)
	env --default-signal=INT,TERM DAGSTER_HOME=$(DEMO_DAGSTER_HOME) SPED_WAREHOUSE=$(DEMO_WAREHOUSE) \
	  $(BIN)/dagster dev -m dagster_project.definitions -h 127.0.0.1 -p $(DAGSTER_PORT)

test: env browser lint  ## the whole suite, as CI runs it
	$(BIN)/pytest -n 2 --dist loadfile $(PYTEST_ARGS)

# The repository stands alone: nothing tracked may cite a briefing outside it. The patterns are
# spelled with brackets so that this file does not match itself.
STANDALONE_PATTERN := [.][.]/shared|CONTRACTS[.]md|DOMAIN[.]md|[Ss]eed 0[0-9]

lint: env standalone
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/sqlfluff lint dbt/models dbt/tests

standalone:  ## fails if a tracked file cites something outside the repository
	@if git rev-parse --git-dir >/dev/null 2>&1; then \
	  if git grep -n -E '$(STANDALONE_PATTERN)' -- . ; then \
	    echo "lint: the lines above cite files outside the repository; cite the regulation or docs/rules/ instead" >&2; exit 1; \
	  fi; \
	fi

format: env
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .
	$(BIN)/sqlfluff fix dbt/models dbt/tests

# This checkout's cache of what is derived from the code (dbt's manifest and stored parses) in
# its default place, as sped/config/settings.py names it: one folder per checkout under the
# user's cache folder. A cache that SPED_CODE_CACHE puts elsewhere is its owner's to remove.
CODE_CACHE = $(or $(XDG_CACHE_HOME),$(HOME)/.cache)/sped-placements/$(shell pwd -P | tr -d '\n' | sha256sum | cut -c1-12)

clean:
	rm -rf $(VENV) $(TOOLS) dbt/target dbt/logs data/demo '$(CODE_CACHE)'

BENCH_SCALE ?= small
BENCH_YEARS ?= 2
BENCH_MARTS_SCALE ?= state
BENCH_MARTS_YEARS ?= 3
BENCH_DASH_SCALE ?= large
BENCH_DASH_YEARS ?= 2

SERVE_PORT ?= 8080

# dagster dev runs in the background of the recipe's shell, which starts it with SIGINT ignored;
# Dagster then ignores SIGTERM too (it maps SIGTERM to SIGINT's handler), and the trap's kill
# left Ctrl-C waiting forever. `env --default-signal` gives it both back.
serve: env  ## the web application and the Dagster UI on the demo installation (127.0.0.1)
	@test -f $(DEMO_WAREHOUSE) || { echo "no demo installation: run make demo first"; exit 2; }
	$(BIN)/python -c "import sys; from sped.config.settings import installation; from sped.frameworks.dagster_home import ensure_dagster_home; ensure_dagster_home(installation(sys.argv[1]))" $(DEMO_WAREHOUSE)
	env --default-signal=INT,TERM DAGSTER_HOME=$(DEMO_DAGSTER_HOME) SPED_WAREHOUSE=$(DEMO_WAREHOUSE) \
	  $(BIN)/dagster dev -m dagster_project.definitions -h 127.0.0.1 -p $(DAGSTER_PORT) \
	    > $(DEMO_DIR)/dagster_dev.log 2>&1 & dagster_pid=$$!; \
	trap 'kill $$dagster_pid 2>/dev/null; wait $$dagster_pid 2>/dev/null' EXIT INT TERM; \
	echo "Dagster UI: http://127.0.0.1:$(DAGSTER_PORT)/ (log: $(DEMO_DIR)/dagster_dev.log)"; \
	$(BIN)/sped serve --warehouse $(DEMO_WAREHOUSE) --host 127.0.0.1 --port $(SERVE_PORT)

BENCH_SCALES ?= small,state,large,large:5
BENCH_PIPELINE_YEARS ?= small=2,state=3,large=2

bench: env  ## measured, not guessed: the pipeline vs plain DuckDB (bench/results/latest.json); batched vs per-file validation; full vs incremental marts
	$(BIN)/python -m bench.upload_latency --uploads 20
	$(BIN)/python -m bench.pipeline --scales $(BENCH_SCALES) --years $(BENCH_PIPELINE_YEARS)
	$(BIN)/python -m bench.validation_batching --scale $(BENCH_SCALE) --years $(BENCH_YEARS)
	$(BIN)/python -m bench.incremental_marts --scale $(BENCH_MARTS_SCALE) --years $(BENCH_MARTS_YEARS)
	$(BIN)/python -m bench.dashboards --scale $(BENCH_DASH_SCALE) --years $(BENCH_DASH_YEARS)
