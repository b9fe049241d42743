# The two commands of the README: `make run` and `make test` (plus `make bench`).
VENV := .venv
BIN := $(VENV)/bin
PYTHON ?= python3
PG_URL ?= postgresql+psycopg://postgres@127.0.0.1:5432/test
VENDOR := web/static/vendor

.PHONY: setup run test test-sqlite test-postgres bench bench-http clean

setup: $(VENV)/.installed node_modules/.installed $(VENDOR)/.copied translations/.compiled

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --silent
	touch $@

# bpmn-js and Bootstrap are served from our own static folder: no CDN, nothing from npm committed.
$(VENDOR)/.copied: node_modules/.installed
	rm -rf $(VENDOR) && mkdir -p $(VENDOR)/bpmn-js $(VENDOR)/bootstrap
	cp node_modules/bpmn-js/dist/bpmn-navigated-viewer.production.min.js node_modules/bpmn-js/dist/bpmn-modeler.production.min.js $(VENDOR)/bpmn-js/
	cp -r node_modules/bpmn-js/dist/assets $(VENDOR)/bpmn-js/assets
	cp node_modules/bootstrap/dist/css/bootstrap.min.css $(VENDOR)/bootstrap/
	touch $@

translations/.compiled: $(VENV)/.installed $(wildcard translations/*/LC_MESSAGES/messages.po)
	$(BIN)/pybabel compile -d translations 2>&1 | grep -v "^compiling" || true
	touch $@

run: setup
	$(BIN)/flask --app app setup
	BAOMI_SCHEDULER=inprocess $(BIN)/flask --app app run --host 127.0.0.1 --port 5000

test: setup
	$(BIN)/python -m pytest -q -p no:cacheprovider
	@if [ -n "$$DATABASE_URL" ] || $(BIN)/python -c "import psycopg; psycopg.connect('host=127.0.0.1 port=5432 user=postgres dbname=test', connect_timeout=3).close()" 2>/dev/null; then \
		echo "== the same tests on PostgreSQL =="; \
		BAOMI_TEST_DATABASE_URL="$${DATABASE_URL:-$(PG_URL)}" $(BIN)/python -m pytest -q -p no:cacheprovider; \
	else echo "PostgreSQL not reachable: skipped the PostgreSQL pass"; fi

# Issue 8's figures (docs/PERFORMANCE.md); 6 to 9 minutes on 2 cores. The scale benches need PostgreSQL.
bench: setup
	$(BIN)/python bench/engine_step.py
	$(BIN)/python bench/history_growth.py
	$(BIN)/python bench/worker_memory.py
	$(BIN)/python bench/ledger_export.py
	$(BIN)/python bench/inbox_scale.py

# gunicorn (4 workers) on PostgreSQL under simulated users, and the plot docs/latency_vs_concurrency.png.
bench-http: setup
	$(BIN)/pip install --quiet -e '.[bench]'
	$(BIN)/python bench/http_load.py

clean:
	rm -rf $(VENV) node_modules $(VENDOR) instance translations/.compiled

# After adding interface strings: refresh the catalogue, then translate the new entries in the .po.
translations-update: $(VENV)/.installed
	$(BIN)/pybabel extract -F babel.cfg -o translations/messages.pot --ignore-dirs=".venv node_modules tests bench" .
	$(BIN)/pybabel update -i translations/messages.pot -d translations -l zh --no-fuzzy-matching
