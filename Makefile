# Two commands do all the set-up: `make demo` and `make test` (see README.md).
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: install demo serve test cluster-test lint format messages bench clean

install: $(VENV)/.installed node_modules/.installed
	@$(PY) manage.py compile_translations

$(VENV)/.installed: pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[dev]'
	touch $@

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

# Without DATABASE_URL every command below starts the project's embedded PostgreSQL (data in .pgdata/)
# and stops it when it ends.
demo: install
	$(PY) manage.py migrate --noinput
	$(PY) manage.py seed_demo
	@echo
	@echo "Serving at http://$(HOST):$(PORT)/  (Ctrl-C stops; another port: make demo PORT=8080)"
	@# The demo is Django's development server on purpose; its banner warning is for production readers.
	DJANGO_RUNSERVER_HIDE_WARNING=true $(PY) manage.py runserver --noreload $(HOST):$(PORT)

serve: install
	$(PY) manage.py runserver $(HOST):$(PORT)

# The Django version django-upgrade writes for: the one pinned in pyproject.toml.
DJANGO_TARGET := 5.2
PYTHON_FILES = find . -name '*.py' -not -path './.venv/*' -not -path './node_modules/*' -not -path './staticfiles/*' -not -path './.git/*' -print0

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/djlint templates --check
	$(VENV)/bin/djlint templates --lint
	$(PYTHON_FILES) | xargs -0 $(VENV)/bin/django-upgrade --target-version $(DJANGO_TARGET) --check
	$(VENV)/bin/mypy .
	$(VENV)/bin/lint-imports
	$(PY) manage.py makemigrations --check --dry-run

format: install
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .
	@# djlint exits 1 when it has rewritten a file: then the check after it says whether all is formatted now.
	$(VENV)/bin/djlint templates --reformat --quiet || $(VENV)/bin/djlint templates --check --quiet
	$(PYTHON_FILES) | xargs -0 $(VENV)/bin/django-upgrade --target-version $(DJANGO_TARGET) --exit-zero-even-if-changed

# In parallel, one test database per worker (pytest-xdist); PYTEST_ARGS="-n 0 tests/core" runs a part serially.
# The every-page check (it seeds the demo world) runs after, in a test database of its own: inside the
# parallel run, plain tests after it on its worker found the seeded products gone.
PYTEST_ARGS ?= -n auto --dist worksteal --ignore=tests/e2e/test_every_page.py
test: lint
	$(VENV)/bin/pytest $(PYTEST_ARGS)
ifneq ($(origin PYTEST_ARGS),command line)
	$(VENV)/bin/pytest -n 0 tests/e2e/test_every_page.py
endif

# The close of business over five hosts made of network namespaces on this machine, one worker host
# killed mid-step (root, iproute2, PostgreSQL and Redis binaries; about 3 minutes; docs/cluster.md).
cluster-test: install
	bash cluster/test.sh

# Re-extract UI strings after changing templates or code (needs GNU gettext's xgettext).
messages: install
	$(PY) manage.py makemessages -l zh_Hans -l en --no-obsolete --ignore=tests --ignore=bench --ignore=node_modules --ignore=.venv --ignore=staticfiles
	$(PY) manage.py compile_translations

bench: install
	@for script in bench/bench_*.py; do echo "== $$script"; $(PY) $$script || exit 1; done

clean:
	rm -rf $(VENV) node_modules staticfiles .pgdata .secret_key
