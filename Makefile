# Two commands do all the set-up (see README):
#   make serve   install, migrate, load the seed data and serve the API and admin on SQLite
#   make test    install and run the whole test suite (SQLite; set DATABASE_URL for PostgreSQL)

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: install serve test check lint bench bench-import clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(VENV)/.install-stamp: requirements.txt requirements-dev.txt | $(BIN)/python
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements-dev.txt
	touch $@

install: $(VENV)/.install-stamp

serve: install
	$(BIN)/python manage.py migrate --no-input
	$(BIN)/python manage.py load_seed
	$(BIN)/python manage.py runserver $(HOST):$(PORT)

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

clean:
	rm -rf $(VENV) db.sqlite3 db.sqlite3-* staticfiles
