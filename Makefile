# Bosai — the two commands (`make run`, `make test`) work on a fresh Debian machine.
# They install what is missing: Debian packages (as root; otherwise they print the command),
# the Python virtual environment, the project itself, the PWA's npm packages, and build the PWA.

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
# Debian's Chromium for the end-to-end tests, with Japanese fonts.
BROWSER_PACKAGES := chromium fonts-noto-cjk
BROWSER_FILES := /usr/bin/chromium /usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc
PWA := pwa
NPM_STAMP := $(PWA)/node_modules/.installed
PWA_BUILT := $(PWA)/dist/index.html
# Generated from the server's OpenAPI document by `make api`; `make lint` fails when they drift.
API_TYPES := $(PWA)/src/api/openapi.json $(PWA)/src/api/schema.d.ts $(PWA)/src/api/values.ts
PWA_SOURCES := $(shell find $(PWA)/src $(PWA)/public -type f 2>/dev/null) $(PWA)/index.html \
	$(PWA)/vite.config.ts $(PWA)/tsconfig.json $(PWA)/tsconfig.sw.json

.PHONY: help run test lint api bench install pwa node postgres-packages bench-packages browser-packages clean

help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-18s %s\n", $$1, $$2}'

run: postgres-packages install pwa ## Install what is missing, build the PWA, load the demo and serve on http://127.0.0.1:8000
	$(BIN)/bosai demo

test: postgres-packages browser-packages install pwa ## Install what is missing and run every test
	cd $(PWA) && npm test
	# One pytest worker per core (each with its own PostgreSQL cluster); a file's tests stay on one
	# worker so that its module fixtures (the demo server, the browser) are made once.
	$(BIN)/pytest -n auto --dist loadfile --durations=25

lint: install $(NPM_STAMP) ## ruff, mypy --strict, tsc, biome, and the PWA's API types against the server's document
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy server geo tests fixtures bench
	cd $(PWA) && npm run --silent typecheck && npm run --silent lint
	@$(MAKE) --no-print-directory api >/dev/null
	@git diff --exit-code --stat -- $(API_TYPES) || { \
		echo "The PWA's API types differ from the server's OpenAPI document: run \`make api\` and commit $(API_TYPES)" >&2; \
		exit 1; \
	}

api: install $(NPM_STAMP) ## Regenerate the PWA's API types (pwa/src/api/) from the server's OpenAPI document
	$(BIN)/python -m server.openapi $(PWA)/src/api/openapi.json
	cd $(PWA) && npm run --silent api

bench: postgres-packages bench-packages install pwa ## Speed and size measurements (ratios against a baseline in the same run)
	$(BIN)/python -m bench
	mkdir -p bench/results && node $(PWA)/scripts/size.mjs --json bench/results/pwa.json

install: $(STAMP) ## The virtual environment with the project and its development tools

pwa: $(PWA_BUILT) ## Build the PWA into pwa/dist (and report its size against the budget)

$(PWA_BUILT): $(NPM_STAMP) $(PWA_SOURCES)
	cd $(PWA) && npm run --silent build

# `npm install` with the committed lock (exact versions); `npm ci` refuses a lock that holds only
# this platform's optional packages, which is how the registry here resolves them.
$(NPM_STAMP): $(PWA)/package.json $(PWA)/package-lock.json | node
	cd $(PWA) && npm install --no-audit --no-fund --loglevel=error
	touch $@

node: # Node.js 20.19 or newer, for Vite 8
	@command -v node >/dev/null || { $(call apt_install,nodejs npm); }
	@node -e 'const [a,b]=process.versions.node.split(".").map(Number); if (a<20||(a===20&&b<19)) { console.error("Node.js "+process.version+" is too old: the PWA build needs 20.19 or newer"); process.exit(1) }'

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

browser-packages:
	@for f in $(BROWSER_FILES); do \
		if [ ! -e "$$f" ]; then $(call apt_install,$(BROWSER_PACKAGES)); break; fi; \
	done

clean: ## Remove the virtual environment and build output (keeps the local database in .bosai/)
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache $(PWA)/node_modules $(PWA)/dist
