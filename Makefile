# migkg: two commands for a new machine.
#   make serve   install, build the dataset, serve it on http://127.0.0.1:8080/
#   make test    install (with test extras), run the whole test suite
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: install serve build validate test clean editor-assets test-deps lint

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q -e '.[test]'
	touch $(STAMP)

# YASGUI, the query editor's assets, from npm (package-lock.json pins it); served by the app,
# never from a CDN. Without npm the editor falls back to a plain HTML form.
NPM_STAMP := node_modules/.migkg-installed

$(NPM_STAMP): package.json package-lock.json
	@if command -v npm >/dev/null 2>&1; then \
	  npm ci --no-audit --no-fund --loglevel=error >/dev/null && touch $(NPM_STAMP); \
	else \
	  echo "npm not found: the SPARQL editor falls back to a plain form (install Node.js + npm, then make install)"; \
	fi

editor-assets: $(NPM_STAMP)

# Debian packages the tests run for real: chromium for the browser tests (Playwright drives it;
# no browser download), apache2 for the w3id.org redirect rules (deploy/w3id/.htaccess),
# nginx for the reference reverse proxies (deploy/nginx/), systemd for systemd-analyze
# verify on the reference units (deploy/systemd/; nothing is started) and virtuoso-opensource
# for the second remote engine (tests/test_virtuoso.py starts its own; the system service is
# not used).
test-deps:
	@missing=""; \
	command -v chromium >/dev/null 2>&1 || missing="$$missing chromium"; \
	[ -x /usr/sbin/apache2 ] || missing="$$missing apache2"; \
	[ -x /usr/sbin/nginx ] || missing="$$missing nginx-light"; \
	command -v systemd-analyze >/dev/null 2>&1 || missing="$$missing systemd"; \
	[ -x /usr/bin/virtuoso-t ] || missing="$$missing virtuoso-opensource"; \
	if [ -n "$$missing" ]; then \
	  echo "installing Debian's$$missing for the tests"; \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $$missing >/dev/null; \
	fi

install: $(STAMP) editor-assets

build: install
	$(BIN)/migkg build

validate: install
	$(BIN)/migkg validate

serve: build
	$(BIN)/migkg serve

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

test: install test-deps lint
	$(BIN)/python -m pytest

clean:
	rm -rf var build .pytest_cache
