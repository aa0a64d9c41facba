# Two commands do all the set-up (see README):
#   make serve   install, migrate, load the seed data and serve the API and admin on SQLite
#   make test    install and run the whole test suite (SQLite; set DATABASE_URL for PostgreSQL)
#   make serve-prod  production: DEBUG=false, settings from the environment, gunicorn (README "Production")
#   make bench-compare N=1000000  our API vs. Datasette vs. a bare-SQL floor (bench/compare.py; DATABASE_URL for PostgreSQL)

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: install serve serve-prod test check lint bench bench-import bench-load bench-compare clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(VENV)/.install-stamp: requirements.txt requirements-dev.txt | $(BIN)/python
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements-dev.txt
	touch $@

install: $(VENV)/.install-stamp

serve: install
	$(BIN)/python manage.py migrate --no-input
	$(BIN)/python manage.py createcachetable
	$(BIN)/python manage.py load_seed
	$(BIN)/python manage.py runserver $(HOST):$(PORT)

# Production: never DEBUG; SECRET_KEY, ALLOWED_HOSTS and the rest come from the environment (README).
# No seed data. gunicorn's settings: conflict_events/gunicorn.py (BIND, or HOST:PORT; WEB_CONCURRENCY).
serve-prod: export DEBUG = false
serve-prod: install
	$(BIN)/python manage.py migrate --no-input
	$(BIN)/python manage.py createcachetable
	$(BIN)/python manage.py collectstatic --no-input --verbosity 0
	HOST=$(HOST) PORT=$(PORT) $(BIN)/gunicorn --config conflict_events/gunicorn.py

test: install
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

check: install lint
	$(BIN)/python manage.py makemigrations --check --dry-run
	$(BIN)/python manage.py check
	$(BIN)/python manage.py spectacular --fail-on-warn --validate --file /dev/null

bench: install
	$(BIN)/python bench/run.py

bench-import: install
	$(BIN)/python bench/import_export.py

bench-load: install
	$(BIN)/python bench/load.py

# Datasette is a benchmark-only dependency (bench/requirements.txt), installed here and nowhere else.
N ?= 100000
bench-compare: install
	$(BIN)/python -m pip install --quiet -r bench/requirements.txt
	$(BIN)/python bench/compare.py --events $(N) $(BENCH_ARGS)

clean:
	rm -rf $(VENV) db.sqlite3 db.sqlite3-* staticfiles
