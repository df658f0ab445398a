# Terpadu: two commands on a fresh machine with Python 3.11+ and make.
#   make run   - virtualenv, install (embedded + demo extras), services (embedded unless DATABASE_URL/REDIS_URL are set),
#                migrations, demo data, web + Celery worker + beat. Ctrl-C stops everything.
#   make test  - dev dependencies, ruff, the import contracts, mypy, the whole pytest suite.
#   make lock  - recompile requirements.lock (production) and requirements-dev.lock from pyproject.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP_RUN := $(VENV)/.installed-run
STAMP_DEV := $(VENV)/.installed-dev
PYTEST_ARGS ?=

.PHONY: run test lint typecheck format install install-dev lock messages clean-data browsers css

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
	$(BIN)/mypy
	DEBUG=1 $(BIN)/python -m pytest $(PYTEST_ARGS)

lint: $(STAMP_DEV)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(STAMP_DEV)
	$(BIN)/mypy

# Pinned versions with hashes, resolved for Python 3.11 and later on any platform (--universal
# adds environment markers); deploy/Dockerfile installs requirements.lock with --require-hashes.
# Existing pins are kept unless pyproject.toml asks otherwise; `make lock LOCK_ARGS=--upgrade`
# moves every pin to the newest allowed version.
LOCK_ARGS ?=
LOCK_FLAGS := --universal --python-version 3.11 --generate-hashes --quiet \
	--custom-compile-command "make lock" $(LOCK_ARGS)

lock: $(STAMP_DEV)
	$(BIN)/uv pip compile pyproject.toml $(LOCK_FLAGS) -o requirements.lock
	$(BIN)/uv pip compile pyproject.toml --extra dev $(LOCK_FLAGS) -o requirements-dev.lock

format: $(STAMP_DEV)
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

messages: $(STAMP_DEV)
	@if command -v msgfmt >/dev/null 2>&1; then \
		DEBUG=1 $(BIN)/python manage.py makemessages -l id --no-obsolete --add-location=file \
			--ignore=.venv --ignore=.data --ignore=tests --ignore=bench --ignore=deploy && \
		DEBUG=1 $(BIN)/python manage.py compilemessages --ignore=.venv --ignore=.data; \
	else echo "gettext (msgfmt) not installed: skipping; apt-get install gettext"; fi

# Pico without the rules no page can match (ngo_platform/csspurge.py); a test fails when stale.
css: $(STAMP_DEV)
	$(BIN)/python -m ngo_platform.csspurge

clean-data:
	-$(BIN)/python -m ngo_platform.embedded stop
	rm -rf .data
