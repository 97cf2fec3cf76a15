# Only python3 (3.11+) and make are assumed; everything else is installed into .venv.
# Two install stamps: `make run` needs only the runtime dependencies (`pip install -e .`);
# tests, lint, type checks and benchmarks need the dev tools as well (`-e '.[dev]'`).
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
RUNTIME := $(VENV)/.installed
DEV := $(VENV)/.installed-dev

.PHONY: run test lint format bench bench-ui demodata migrations-check clean

$(PY):
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Bugtrack needs Python 3.11 or newer")'
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --upgrade pip

$(RUNTIME): pyproject.toml | $(PY)
	$(VENV)/bin/pip install --quiet -e .
	touch $(RUNTIME)

# The dev install includes the runtime one, so it satisfies both stamps.
$(DEV): pyproject.toml | $(PY)
	$(VENV)/bin/pip install --quiet -e '.[dev]'
	touch $(RUNTIME) $(DEV)

run: $(RUNTIME)
	$(PY) manage.py migrate --noinput
	$(PY) manage.py collectstatic --noinput -v0
	$(PY) manage.py ensureadmin
	exec $(PY) manage.py serve

test: $(DEV)
	$(VENV)/bin/pytest

lint: $(DEV)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: $(DEV)
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

migrations-check: $(DEV)
	$(PY) manage.py makemigrations --check --dry-run

# make bench BENCH_ARGS="--db sqlite --duration 20 --vus 8"; see docs/performance.md.
BENCH_ARGS ?=
bench: $(DEV)
	$(PY) bench/run.py $(BENCH_ARGS)

# Needs demo data first: make demodata (10,000 issues, 1,000,000 events; PostgreSQL).
BENCH_DEMO_URL ?= postgres://postgres@127.0.0.1:5432/bt_bench_demo
bench-ui: $(DEV)
	$(PY) bench/run.py ui --ui-database-url $(BENCH_DEMO_URL) $(BENCH_ARGS)

demodata: $(DEV)
	$(PY) bench/database.py recreate $(BENCH_DEMO_URL)
	DATABASE_URL=$(BENCH_DEMO_URL) $(PY) manage.py migrate --noinput
	DATABASE_URL=$(BENCH_DEMO_URL) $(PY) bench/make_demodata.py --issues 10000 --events 1000000 --project Demo

clean:
	rm -rf $(VENV) staticfiles
