# migkg: two commands for a new machine.
#   make serve   install, build the dataset, serve it on http://127.0.0.1:8080/
#   make test    install (with test extras), run the whole test suite
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: install serve build validate test clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q -e '.[test]'
	touch $(STAMP)

install: $(STAMP)

build: install
	$(BIN)/migkg build

validate: install
	$(BIN)/migkg validate

serve: build
	$(BIN)/migkg serve

test: install
	$(BIN)/python -m pytest

clean:
	rm -rf var build .pytest_cache
