# Terpadu: two commands on a fresh machine with Python 3.11+ and make.
#   make run   - virtualenv, install (embedded + demo extras), services (embedded unless DATABASE_URL/REDIS_URL are set),
#                migrations, demo data, web + Celery worker + beat. Ctrl-C stops everything.
#   make test  - dev dependencies, ruff, the import contracts, the whole pytest suite.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP_RUN := $(VENV)/.installed-run
STAMP_DEV := $(VENV)/.installed-dev
PYTEST_ARGS ?=

.PHONY: run test lint format install install-dev messages clean-data browsers

$(BIN)/python:
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python 3.11+ is required")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(STAMP_RUN): $(BIN)/python pyproject.toml
	$(BIN)/python -m pip install --quiet -e '.[embedded,demo]'
	@touch $@

$(STAMP_DEV): $(BIN)/python pyproject.toml
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $@ $(STAMP_RUN)

install: $(STAMP_RUN)
install-dev: $(STAMP_DEV)

run: $(STAMP_RUN)
	DEBUG=1 $(BIN)/python -m ngo_platform.devserver

test: $(STAMP_DEV)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports
	DEBUG=1 $(BIN)/python -m pytest $(PYTEST_ARGS)

lint: $(STAMP_DEV)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(STAMP_DEV)
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

messages: $(STAMP_DEV)
	@if command -v msgfmt >/dev/null 2>&1; then \
		DEBUG=1 $(BIN)/python manage.py makemessages -l id --no-obsolete --add-location=file \
			--ignore=.venv --ignore=.data --ignore=tests --ignore=bench --ignore=deploy && \
		DEBUG=1 $(BIN)/python manage.py compilemessages --ignore=.venv --ignore=.data; \
	else echo "gettext (msgfmt) not installed: skipping; apt-get install gettext"; fi

clean-data:
	-$(BIN)/python -m ngo_platform.embedded stop
	rm -rf .data
