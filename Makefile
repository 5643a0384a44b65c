# The one interface for humans and CI. `make demo` runs Warmline; `make test` tests it.
VENV ?= .venv
BIN = $(VENV)/bin
PYTHON ?= python3

.PHONY: demo test lint bench venv clean

$(BIN)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[dev]'
	touch $@

venv: $(BIN)/.installed

demo: venv
	$(BIN)/warmline demo

test: venv lint
	scripts/with-postgres $(BIN)/pytest -q $(PYTEST_ARGS)

lint: venv
	$(BIN)/ruff check src tests $(wildcard benchmarks)
	$(BIN)/mypy
	$(BIN)/lint-imports

bench: venv
	$(BIN)/python benchmarks/ingest.py
	$(BIN)/python benchmarks/card.py

clean:
	rm -rf $(VENV) warmline.db warmline.db-wal warmline.db-shm
