# Two commands on a fresh machine:  `make run`  and  `make test`.
SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
export FLASK_APP := diaspora
HOST ?= 127.0.0.1
PORT ?= 5000

.PHONY: install translations migrate demo run dev test lint browser axe clean messages \
        bench bench-import bench-matching bench-plan bench-scheduler bench-dashboard bench-load

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

install: $(STAMP) translations

# Compile the gettext catalogues (.po are committed, .mo are built).
translations: $(STAMP)
	$(BIN)/pybabel compile -d translations

migrate: install
	$(BIN)/flask db upgrade

demo: migrate
	$(BIN)/flask diaspora demo-data

# Serve the app with its scheduler in-process, on the embedded SQLite file under instance/.
run: demo
	SCHEDULER_ENABLED=1 JOBS_WORKER_ENABLED=1 $(BIN)/flask run --host $(HOST) --port $(PORT) --no-reload

# Development server with the reloader (the scheduler stays off; run `flask missions scheduler`).
dev: demo
	$(BIN)/flask run --host $(HOST) --port $(PORT) --debug

# The browser journeys drive Debian's Chromium; install it when missing (as root, or via sudo).
browser:
	@command -v chromium >/dev/null || { \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && $$SUDO apt-get install -y -qq chromium >/dev/null; }

# axe-core (accessibility checks of tests/test_accessibility.py), from npm into the git-ignored
# .axe/; npm comes from apt when missing.
AXE_VERSION ?= 4.10.3
AXE := .axe/node_modules/axe-core/axe.min.js

$(AXE):
	@command -v npm >/dev/null || { \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && $$SUDO apt-get install -y -qq npm >/dev/null; }
	npm install --no-save --no-audit --no-fund --prefix .axe axe-core@$(AXE_VERSION)

axe: $(AXE)

# The suite runs on every core (pytest-xdist; PYTEST_WORKERS=0 runs it in one process).
PYTEST_WORKERS ?= auto
test: install browser axe
	$(BIN)/python -m pytest -n $(PYTEST_WORKERS) --dist worksteal $(PYTEST_ARGS)

lint: install
	$(BIN)/ruff check diaspora missions tests bench migrations

# Regenerate the message template and merge it into the catalogues after changing strings.
messages: $(STAMP)
	$(BIN)/pybabel extract -F babel.cfg -k _l -o translations/messages.pot --no-location --sort-output .
	$(BIN)/pybabel update -i translations/messages.pot -d translations --no-fuzzy-matching --ignore-obsolete

# Benchmarks print their figures (SQLite and, when reachable, the local PostgreSQL); see README.
# BENCH_QUICK=1 runs each at small sizes, to see every one work end to end in a few minutes.
bench: bench-import bench-matching bench-plan bench-scheduler bench-dashboard bench-load

bench-import: install
	$(BIN)/python bench/import_facilities.py $(if $(BENCH_QUICK),--rows 5000)

bench-matching: install
	$(BIN)/python bench/matching.py $(if $(BENCH_QUICK),--professionals 10000 --needs 100 --samples 10 --plan-needs 20)

bench-plan: install
	$(BIN)/python bench/plan.py $(if $(BENCH_QUICK),--professionals 10000 --sqlite-professionals 5000 --needs 50 --sample 5)

bench-scheduler: install
	$(BIN)/python bench/scheduler.py $(if $(BENCH_QUICK),--professionals 10000 --repeat 2)

bench-dashboard: install
	$(BIN)/python bench/dashboard.py $(if $(BENCH_QUICK),--sizes 2000 --runs 2)

bench-load: install
	$(BIN)/python bench/load.py $(if $(BENCH_QUICK),--requests 50)

clean:
	rm -rf $(VENV) instance .pytest_cache .axe
