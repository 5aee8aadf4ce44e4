# Bosai — the two commands (`make run`, `make test`) work on a fresh Debian machine.
# They install what is missing: Debian packages (as root; otherwise they print the command),
# the Python virtual environment, and the project itself.

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
PG_VERSION := 15
PG_PACKAGES := postgresql-$(PG_VERSION) postgresql-$(PG_VERSION)-postgis-3 postgresql-$(PG_VERSION)-pgrouting
PG_FILES := /usr/lib/postgresql/$(PG_VERSION)/bin/initdb \
	/usr/share/postgresql/$(PG_VERSION)/extension/postgis.control \
	/usr/share/postgresql/$(PG_VERSION)/extension/pgrouting.control

.PHONY: help run test lint bench install system-packages postgres-packages bench-packages clean

help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-18s %s\n", $$1, $$2}'

run: postgres-packages install ## Install what is missing, load the demo and serve on http://127.0.0.1:8000
	$(BIN)/bosai demo

test: postgres-packages install ## Install what is missing and run every test
	$(BIN)/pytest

lint: install ## ruff and mypy --strict
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy server geo tests fixtures bench

bench: postgres-packages bench-packages install ## Speed measurements (ratios against a baseline in the same run)
	$(BIN)/python -m bench

install: $(STAMP) ## The virtual environment with the project and its development tools

$(STAMP): pyproject.toml constraints.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip==26.3
	$(BIN)/python -m pip install --quiet -c constraints.txt -e '.[dev]' --config-settings editable_mode=compat
	touch $@

# Debian packages: installed when missing and running as root, else the exact command is printed.
# With DATABASE_URL (run) or BOSAI_TEST_DATABASE_URL (test) set, no local PostgreSQL is needed.
define apt_install
	if [ "$$(id -u)" = 0 ]; then \
		echo "installing $(1)"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $(1) >/dev/null; \
	else \
		echo "Missing Debian packages. Install them with:"; \
		echo "  sudo apt-get install -y $(1)"; \
		exit 1; \
	fi
endef

postgres-packages:
	@if [ -n "$${DATABASE_URL:-}$${BOSAI_TEST_DATABASE_URL:-}" ]; then exit 0; fi; \
	for f in $(PG_FILES); do \
		if [ ! -e "$$f" ]; then $(call apt_install,$(PG_PACKAGES)); break; fi; \
	done

bench-packages:
	@command -v wrk >/dev/null || { $(call apt_install,wrk); }

clean: ## Remove the virtual environment and build output (keeps the local database in .bosai/)
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache
