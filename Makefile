# Layan: `make demo` runs it with Indonesian demo data; `make test` runs the whole suite.
VENV ?= .venv
PYTHON ?= python3
BIN := $(VENV)/bin
export LAYAN_DATA_DIR ?= $(CURDIR)/var

.PHONY: demo test lint install serve clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e ".[test]"
	touch $@

install: $(VENV)/.installed

# FAKE_PROVIDERS=1: replies go over HTTP to loopback fake providers (FAKE_PROVIDERS_PORT, default 8701..8707).
demo: install
	$(BIN)/layan migrate --noinput
	$(BIN)/layan compilemessages --ignore=.venv >/dev/null
	$(BIN)/layan demo $(if $(filter 1,$(FAKE_PROVIDERS)),--fake-providers $(if $(FAKE_PROVIDERS_PORT),--fake-providers-port $(FAKE_PROVIDERS_PORT)))
	$(BIN)/layan serve --host 127.0.0.1 --port 8000 $(if $(filter 1,$(FAKE_PROVIDERS)),--fake-providers $(if $(FAKE_PROVIDERS_PORT),--fake-providers-port $(FAKE_PROVIDERS_PORT)))

serve: install
	$(BIN)/layan migrate --noinput
	$(BIN)/layan serve

test: install
	bash scripts/run-tests

lint: install
	$(BIN)/ruff check src tests scripts
	$(BIN)/layan makemigrations --check --dry-run

clean:
	rm -rf $(VENV) var .pytest_cache .ruff_cache
