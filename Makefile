# clubsite: `make run` serves the site on SQLite; `make test` runs the whole suite.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
FLASK := $(BIN)/flask --app wsgi
HOST ?= 127.0.0.1
PORT ?= 8000
CATALOGS := $(patsubst %.po,%.mo,$(wildcard clubsite/translations/*/LC_MESSAGES/messages.po))
PYTEST_ARGS ?=

.PHONY: assets run serve test lint format translations-extract translations demo bench clean

$(BIN)/activate: requirements.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements.txt
	touch $(BIN)/activate

$(VENV)/.dev-installed: $(BIN)/activate requirements-dev.txt
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $@

%.mo: %.po $(BIN)/activate
	$(BIN)/pybabel compile --use-fuzzy -d clubsite/translations -D messages >/dev/null

translations: $(CATALOGS)

## Front-end packages from the npm registry (package-lock.json pins them; no install scripts run):
## the QR decoder the check-in page serves from clubsite/static/vendor, and the accessibility
## (axe-core) and HTML (vnu-jar, run with Java) checkers of the test suite.
VENDOR := clubsite/static/vendor
node_modules/.installed: package.json package-lock.json
	npm ci --ignore-scripts --no-audit --no-fund --loglevel=error
	touch $@

$(VENDOR)/jsQR.js: node_modules/.installed
	mkdir -p $(VENDOR)
	cp node_modules/jsqr/dist/jsQR.js $@

assets: $(VENDOR)/jsQR.js

## Serve the site at http://127.0.0.1:8000 (creates instance/ with keys on first run), with the
## job runner beside it (mail, newsletter, retention, re-verification, backups); stopping
## `make run` (Ctrl-C) stops both. Links in mail point where the site runs (set
## CLUBSITE_BASE_URL for an address of its own).
run: export CLUBSITE_BASE_URL := $(or $(CLUBSITE_BASE_URL),http://$(HOST):$(PORT))
run: $(BIN)/activate translations assets
	$(FLASK) db upgrade
	$(FLASK) staff setup-link
	trap 'kill $$runner $$web 2>/dev/null' INT TERM; \
	$(FLASK) jobs run & runner=$$!; \
	$(BIN)/gunicorn --bind $(HOST):$(PORT) --workers 1 --threads 8 --access-logfile - \
		--logger-class clubsite.web.accesslog.TokenMaskingLogger \
		--access-logformat '%(t)s "%(m)s %(U)s" %(s)s %(M)sms' wsgi:app & web=$$!; \
	wait $$web; wait $$web; kill $$runner 2>/dev/null; wait $$runner

## Run the whole suite: lint, format check, tests on SQLite (and PostgreSQL when configured).
test: $(VENV)/.dev-installed translations assets
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports
	$(BIN)/pytest -n 2 $(PYTEST_ARGS)

lint: $(VENV)/.dev-installed
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

format: $(VENV)/.dev-installed
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

## Re-extract the messages and merge them into the catalogs (then translate the new ones).
translations-extract: $(BIN)/activate
	$(BIN)/pybabel extract -F babel.cfg -k _l -k lazy_gettext -o clubsite/translations/messages.pot . >/dev/null
	$(BIN)/pybabel update -i clubsite/translations/messages.pot -d clubsite/translations --no-fuzzy-matching >/dev/null

## Fill an empty database with realistic Latvian demo data.
demo: $(BIN)/activate
	$(FLASK) db upgrade
	$(FLASK) demo seed --members 500

## Run the benchmarks (bench/run.sh, figures in bench/RESULTS.md); the dev requirements bring
## aiosmtpd, the newsletter benches' SMTP sink. A quick check: see the top of bench/run.sh.
bench: $(VENV)/.dev-installed translations
	sh bench/run.sh

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache node_modules $(VENDOR)
