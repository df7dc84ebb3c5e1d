# Everything a developer runs. `make run` and `make test` work on a fresh machine with only Python 3.11.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip

.PHONY: run test lint bench bench-cpu setup setup-dev migrate demo clean

$(VENV)/bin/activate:
	$(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip

# Reinstall only when a requirements file changes.
$(VENV)/.installed: requirements.txt $(VENV)/bin/activate
	$(PIP) install --quiet -r requirements.txt
	touch $@

$(VENV)/.installed-dev: requirements.txt requirements-dev.txt $(VENV)/.installed
	$(PIP) install --quiet -r requirements-dev.txt
	touch $@

setup: $(VENV)/.installed
setup-dev: $(VENV)/.installed-dev

migrate: setup
	$(PY) manage.py migrate --noinput

demo: migrate
	$(PY) manage.py seed_demo

## Set up, load demo data and serve the portal on http://127.0.0.1:8000 with a django-q2 worker beside it.
run: demo
	bin/run-dev

## The test suite (SQLite by default; set DATABASE_URL=postgres://... for PostgreSQL).
test: setup-dev
	$(PY) -m pytest

lint: setup-dev
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports

## Benchmarks: never part of the test run; numbers go to docs/benchmarks.md.
bench: setup-dev
	$(PY) bench/run.py

## The member dashboard's CPU time and Python calls per request, in-process (readable on a shared machine).
bench-cpu: setup-dev
	$(PY) bench/bench_dashboard_cpu.py

clean:
	rm -rf $(VENV) var db.sqlite3 test-output .pytest_cache .ruff_cache
