# Kuaifa — the two commands of the quick start are `make demo` and `make test`.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
PG_ADMIN_URL ?= postgres://postgres@127.0.0.1:5432/postgres

.PHONY: demo test lint lock test-sqlite test-postgres test-thorough bench clean

# Installs exactly the versions in requirements-dev.lock (what the tests last passed with), then Kuaifa itself.
$(BIN)/kuaifa: pyproject.toml requirements-dev.lock
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements-dev.lock
	$(BIN)/pip install --quiet --no-deps -e .
	touch $@

## Re-resolve requirements-dev.lock from pyproject.toml's ranges (then run `make test` before committing it).
lock: $(BIN)/kuaifa
	$(BIN)/pip install --quiet uv
	$(BIN)/uv pip compile pyproject.toml --extra dev --python-version 3.11 -o requirements-dev.lock

PORT ?= 8000
SIM_PORT ?= 8780

## Set up on the embedded default (SQLite under ./kuaifa-data), load the demo shop from a back-office export and
## run the pipeline on it, stock the SKUs the simulated PDD shop sells, create one person per role (their logins
## are printed) and serve the workbench at http://127.0.0.1:$(PORT)/ with the task worker and the PDD simulator.
## The owner connects the simulated shop in the browser (设置 → 店铺与授权 → 授权); the worker syncs it every
## minute. Everything runs on the real clock, as PDD does.
demo: $(BIN)/kuaifa
	$(BIN)/kuaifa init
	$(BIN)/kuaifa demo
	$(BIN)/kuaifa demo-team
	@$(BIN)/kuaifa serve --port $(PORT) --with-sim $(SIM_PORT) --sync-every 60

## Lint, type-check, check layer contracts, then run the suite on SQLite and (when reachable) PostgreSQL.
test: lint test-sqlite test-postgres

lint: $(BIN)/kuaifa
	$(BIN)/ruff format --check src tests bench
	$(BIN)/ruff check src tests bench
	$(BIN)/mypy
	$(BIN)/lint-imports
	env -u DATABASE_URL DJANGO_SETTINGS_MODULE=kuaifa.config.settings $(BIN)/python -m django makemigrations --check --dry-run

test-sqlite: $(BIN)/kuaifa
	env -u DATABASE_URL $(BIN)/pytest -q

test-postgres: $(BIN)/kuaifa
	@if $(BIN)/python -c "import psycopg,sys; psycopg.connect('$(PG_ADMIN_URL)', connect_timeout=3).close()" 2>/dev/null; then \
	  echo "== PostgreSQL reachable: running the suite again on PostgreSQL"; \
	  DATABASE_URL=postgres://postgres@127.0.0.1:5432/kuaifa_ci_$$$$ $(BIN)/pytest -q; \
	else \
	  echo "== PostgreSQL not reachable at $(PG_ADMIN_URL): skipped the PostgreSQL run"; \
	fi

## Every property test and the ledger state machine with 1,000 examples each, on SQLite then PostgreSQL (slow).
test-thorough: $(BIN)/kuaifa
	env -u DATABASE_URL HYPOTHESIS_PROFILE=thorough $(BIN)/pytest -q tests/unit tests/services/test_ledger_state_machine.py
	HYPOTHESIS_PROFILE=thorough DATABASE_URL=postgres://postgres@127.0.0.1:5432/kuaifa_thorough_$$$$ $(BIN)/pytest -q tests/services/test_ledger_state_machine.py

## Benchmarks (not tests): see docs/performance.md.
bench: $(BIN)/kuaifa
	$(BIN)/python bench/pipeline.py
	$(BIN)/python bench/sync.py

clean:
	rm -rf $(VENV) kuaifa-data
