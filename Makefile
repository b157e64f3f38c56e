# Wisselstroom task runner. The two commands a new machine needs:
#   make demo   - set up everything, seed the Wisselspoor demo hub, serve http://127.0.0.1:8000
#   make test   - set up everything, then lint, format check, type check and the test suite
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
HOST ?= 127.0.0.1
PORT ?= 8000

# Refresh both locks after changing a pin in pyproject.toml (and installing it): the production
# closure of pyproject's dependencies goes to requirements.lock (what the Docker image installs),
# everything else to requirements-dev.lock (see scripts/split_lock.py).
lock:
	$(BIN)/python -m pip freeze --exclude-editable | grep -v '^-e' > requirements.freeze
	$(BIN)/python scripts/split_lock.py requirements.freeze && rm requirements.freeze

.PHONY: lock install demo serve test check lint format types pytest browser worker beat bench messages clean

$(STAMP): pyproject.toml requirements.lock requirements-dev.lock
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python 3.11 or newer is needed")'
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements-dev.lock
	touch $(STAMP)

install: $(STAMP)

demo: install
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py seed_demo
	$(BIN)/python manage.py runserver $(HOST):$(PORT)

serve: install
	$(BIN)/python manage.py runserver $(HOST):$(PORT)

test: install browser check

check: lint format types pytest

lint:
	$(BIN)/ruff check .

format:
	$(BIN)/ruff format --check .

types:
	$(BIN)/mypy .

pytest:
	$(BIN)/python -m pytest

# Debian's Chromium for the browser tests; installed only where apt-get can (root, Debian).
browser:
	@bash scripts/ensure_chromium.sh

worker: install
	$(BIN)/celery -A config worker -Q dispatch,default --loglevel=INFO

beat: install
	$(BIN)/celery -A config beat --loglevel=INFO

bench: install
	$(BIN)/python manage.py bench_dispatch
	$(BIN)/python manage.py bench_bookings

messages: install
	$(BIN)/python manage.py makemessages -l nl -l en --ignore '.venv/*' --ignore 'staticfiles/*'
	$(BIN)/python manage.py compilemessages --ignore '.venv/*'

clean:
	rm -rf $(VENV) staticfiles .pytest_cache .mypy_cache .ruff_cache
