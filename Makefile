# Two commands do all the set-up on a fresh machine with Python 3.11:
#   make demo   installs into .venv, creates a demo firm in data/lexbill.sqlite3, serves :8000
#   make test   installs into .venv, runs lint, types and the whole suite on SQLite and PostgreSQL
PY ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
PG_TEST_URL ?= postgresql://postgres@127.0.0.1:5432/test
export LEXBILL_DATA_DIR ?= $(CURDIR)/data

.PHONY: demo serve test test-sqlite test-postgres lint bench bench-quick fuzz clean

$(BIN)/lexbill: pyproject.toml
	$(PY) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@

demo: $(BIN)/lexbill
	$(BIN)/lexbill demo
	$(BIN)/lexbill serve

serve: $(BIN)/lexbill
	$(BIN)/lexbill serve

lint: $(BIN)/lexbill
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench
	$(BIN)/mypy

test-sqlite: $(BIN)/lexbill
	LEXBILL_TEST_DATABASE_URL= $(BIN)/pytest -q

test-postgres: $(BIN)/lexbill
	LEXBILL_TEST_DATABASE_URL=$(PG_TEST_URL) $(BIN)/pytest -q

# both engines at once, one per core; `make test-sqlite test-postgres` runs them one after the other
test: lint $(BIN)/lexbill
	PG_TEST_URL=$(PG_TEST_URL) scripts/test-both

bench: $(BIN)/lexbill
	$(BIN)/python bench/run.py

bench-quick: $(BIN)/lexbill
	$(BIN)/python bench/run.py --quick

# the fuzz tests run in `make test` with a small budget; this is the long local hunt
# (docs/operations/fuzzing.md). FUZZ_EXAMPLES per test; the database ones get a quarter.
# FUZZ_DATABASE_URL empty: SQLite in memory; e.g. $(PG_TEST_URL) for PostgreSQL.
FUZZ_EXAMPLES ?= 5000
FUZZ_DATABASE_URL ?=
fuzz: $(BIN)/lexbill
	LEXBILL_FUZZ_EXAMPLES=$(FUZZ_EXAMPLES) LEXBILL_TEST_DATABASE_URL=$(FUZZ_DATABASE_URL) \
		$(BIN)/pytest -q tests/fuzz --hypothesis-show-statistics

clean:
	rm -rf $(VENV) data bench/out
