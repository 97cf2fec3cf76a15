# Only python3 (3.11+) and make are assumed; everything else is installed into .venv.
# Two install stamps: `make run` needs only the runtime dependencies (`pip install -e .`);
# tests, lint, type checks and benchmarks need the dev tools as well (`-e '.[dev]'`).
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
RUNTIME := $(VENV)/.installed
DEV := $(VENV)/.installed-dev

# `make ci` runs these in order, every one even if an earlier one failed, and fails if any did.
CI_STEPS := lint migrations-check typecheck test-postgres test-sqlite
# The PostgreSQL test run of `make ci` (its tests use the `test_`-prefixed database).
CI_DATABASE_URL := $(or $(DATABASE_URL),postgres://postgres@127.0.0.1:5432/bugtrack_ci)
# Extra pytest arguments, e.g. make test PYTEST_ARGS="tests/test_health.py -q".
PYTEST_ARGS ?=

.PHONY: run test test-postgres test-sqlite ci lint format typecheck migrations-check \
	faults bench bench-ui demodata clean

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

# The suite on whatever DATABASE_URL says; SQLite under ./data/ by default.
test: $(DEV)
	$(VENV)/bin/pytest $(PYTEST_ARGS)

test-postgres: $(DEV)
	@case "$(CI_DATABASE_URL)" in postgres://*|postgresql://*) ;; \
	  *) echo "test-postgres: DATABASE_URL is not a PostgreSQL URL: $(CI_DATABASE_URL)" >&2; exit 2;; esac
	DATABASE_URL='$(CI_DATABASE_URL)' $(VENV)/bin/pytest $(PYTEST_ARGS)

# A throwaway data directory, and a DATABASE_URL of its own so that one in the environment
# cannot point this run at another database. tests/faults runs on a private PostgreSQL
# cluster whatever DATABASE_URL says, so test-postgres has already run it.
test-sqlite: $(DEV)
	data="$$(mktemp -d)" && trap 'rm -rf "$$data"' EXIT && \
	  DATA_DIR="$$data" DATABASE_URL="sqlite:///$$data/bugtrack.sqlite3" $(VENV)/bin/pytest \
	  --ignore=tests/faults $(PYTEST_ARGS)

ci:
	@failed=""; \
	for step in $(CI_STEPS); do \
	  echo "--- make $$step"; \
	  $(MAKE) --no-print-directory $$step || failed="$$failed $$step"; \
	done; \
	if [ -n "$$failed" ]; then echo "--- make ci failed:$$failed" >&2; exit 1; fi; \
	echo "--- make ci: all steps passed ($(CI_STEPS))"

# Options shared with .pre-commit-config.yaml (which gives its reasons); keep them in step.
DJHTML_ARGS := --tabwidth 2
DJANGO_UPGRADE_ARGS := --target-version 5.2 --skip request_headers
# The fault-injection suite's long form (every test run includes a short one, 2,000 events
# per scenario): tests/faults, on a private PostgreSQL cluster that the suite starts.
FAULT_EVENTS ?= 20000
faults: $(DEV)
	BUGTRACK_FAULT_EVENTS=$(FAULT_EVENTS) BUGTRACK_FAULT_RATE=400 $(VENV)/bin/pytest -m faults tests/faults

lint: $(DEV)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/djhtml --check $(DJHTML_ARGS) templates
	git ls-files -z '*.py' | xargs -0 $(VENV)/bin/django-upgrade --check $(DJANGO_UPGRADE_ARGS)

# django-upgrade first, so that ruff formats what it rewrote (as in pre-commit).
format: $(DEV)
	git ls-files -z '*.py' | xargs -0 $(VENV)/bin/django-upgrade --exit-zero-even-if-changed $(DJANGO_UPGRADE_ARGS)
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .
	$(VENV)/bin/djhtml $(DJHTML_ARGS) templates

# The packages, plugin and settings module are configured in pyproject.toml ([tool.mypy]).
typecheck: $(DEV)
	$(VENV)/bin/mypy

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
