# Zhengtong: two commands on a fresh machine.
#   make run   - set up everything, load the demo province, serve on http://127.0.0.1:8000
#   make test  - lint, migration check, the whole suite on SQLite and (when reachable) PostgreSQL
#   make fuzz  - a long Schemathesis run against the REST API (at least 50,000 requests)

SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
HOST ?= 127.0.0.1
PORT ?= 8000
WEB_WORKERS ?= 2
PG_TEST_URL ?= postgres://postgres@127.0.0.1:5432/zhengtong
VENDOR := zhengtong/portal/static/vendor

.PHONY: run test test-replica fuzz setup assets migrate demo lint messages fonts browser bench-tools bench clean

$(VENV)/.installed: pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	@$(PY) -m pip install --quiet --upgrade pip 2>&1 | { grep -v '^WARNING: Location' || true; }
	@$(PY) -m pip install --quiet -e '.[dev]' 2>&1 | { grep -v -E '^WARNING: Location|BuildBackendWarning|^ +' || true; }
	@$(PY) -c "import django, argon2, psycopg, chinese_calendar, stdnum, segno, duckdb, pyarrow, cbor2, shapely" # fail clearly if the install did not work
	@touch $@

node_modules/.installed: package.json package-lock.json
	@npm ci --no-audit --no-fund --loglevel=error
	@touch $@

$(VENDOR)/.copied: node_modules/.installed Makefile
	@mkdir -p $(VENDOR)
	@cp node_modules/htmx.org/dist/htmx.min.js $(VENDOR)/htmx.min.js
	@cp node_modules/echarts/dist/echarts.min.js $(VENDOR)/echarts.min.js
	@cp -r node_modules/leaflet/dist/{leaflet.js,leaflet.js.map,leaflet.css,images} $(VENDOR)/
	@touch $@

assets: $(VENDOR)/.copied

messages: $(VENV)/.installed
	@$(PY) manage.py compilemessages --ignore '.venv' --ignore 'node_modules' -v 0

setup: $(VENV)/.installed assets messages fonts

migrate: setup
	@$(PY) manage.py migrate --no-input -v 0

# The demo's second installation (安徽省, docs/sharing.md "Between installations"): its own SQLite
# database, secrets and signing keys under var/peer/, served on PEER_PORT at localhost (another
# host name than the first, so the two sites' cookies stay apart); each trusts the other.
PEER_PORT ?= 8001
PEER_ENV := ZHENGTONG_VAR_DIR=$(CURDIR)/var/peer DATABASE_URL=sqlite:///$(CURDIR)/var/peer/zhengtong.sqlite3 \
  REDIS_URL= SHARING_INSTALLATION_ID=anhui-demo SHARING_PEERS=zhengtong-local=http://$(HOST):$(PORT)
MAIN_ENV := SHARING_PEERS=anhui-demo=http://localhost:$(PEER_PORT)

demo: migrate
	@$(PY) manage.py seed_demo
	@mkdir -p var/peer && ln -sfn ../static var/peer/static
	@$(PEER_ENV) $(PY) manage.py migrate --no-input -v 0
	@$(PEER_ENV) $(PY) manage.py seed_peer_demo

# The demo runs as production would serve it (DEBUG off): static files from collectstatic through
# WhiteNoise, hashed, compressed (.gz/.br) and cached for a year; pages gzip-compressed (HTML_GZIP).
# Ctrl-C: the trap stops both children once (it removes itself first, so its own TERM does not
# fire it again) and the recipe ends without an error.
RUN_ENV := DEBUG=0

run: demo
	@$(RUN_ENV) $(PY) manage.py collectstatic --no-input -v 0
	@$(PY) manage.py demo_accounts
	@echo "second installation (安徽省, ah_clerk / ah_data_officer, same password): http://localhost:$(PEER_PORT)/"
	@echo "Zhengtong: http://$(HOST):$(PORT)/  (API docs: http://$(HOST):$(PORT)/api/v1/docs)  Ctrl-C stops the web servers and the workers."
	@trap 'trap - INT TERM EXIT; kill $$(jobs -p) 2>/dev/null; wait; exit 0' INT TERM EXIT; \
	  $(RUN_ENV) $(MAIN_ENV) $(PY) manage.py run_worker & \
	  $(RUN_ENV) $(MAIN_ENV) $(VENV)/bin/gunicorn zhengtong.wsgi --bind $(HOST):$(PORT) --workers $(WEB_WORKERS) --threads 4 \
	    --access-logfile - --log-level warning & \
	  $(RUN_ENV) $(PEER_ENV) $(PY) manage.py run_worker & \
	  $(RUN_ENV) $(PEER_ENV) $(VENV)/bin/gunicorn zhengtong.wsgi --bind localhost:$(PEER_PORT) --workers 1 --threads 4 \
	    --log-level warning & \
	  { $(MAIN_ENV) $(PY) manage.py sharing_peers --wait 60 && $(PEER_ENV) $(PY) manage.py sharing_peers --wait 60; } & \
	  wait

lint: $(VENV)/.installed
	@$(VENV)/bin/ruff check .
	@$(VENV)/bin/ruff format --check . >/dev/null || { $(VENV)/bin/ruff format --diff . | head -40; exit 1; }
	@mkdir -p var
	@$(VENV)/bin/lint-imports --no-cache > var/lint-imports.log 2>&1 || { cat var/lint-imports.log; exit 1; }
	@grep "^Contracts:" var/lint-imports.log

test: setup lint
	@{ command -v chromium >/dev/null && fc-list :lang=zh | grep -q . ; } || $(MAKE) --no-print-directory browser || \
	  echo "chromium could not be installed here: the browser checks will be skipped (make browser)"
	@ZHENGTONG_ENV=test $(PY) manage.py makemigrations --check --dry-run -v 1 >/dev/null || \
	  { echo "makemigrations --check: migrations are missing"; ZHENGTONG_ENV=test $(PY) manage.py makemigrations --check --dry-run; exit 1; }
	@$(PY) scripts/run_tests.py --postgres-url '$(PG_TEST_URL)' $(PYTEST_ARGS)

# Read routing against a real streaming replica: a PostgreSQL primary and a pg_basebackup replica in
# a temporary directory (tests/replica_harness.py); make test runs the same check in its SQLite run.
test-replica: setup
	@ZT_REPLICA_CHECK=1 $(PY) -m pytest -q -p no:cacheprovider tests/test_replicas_live.py

# Schemathesis against every REST operation for four identities, many examples each (make test
# runs the same test with 5). FUZZ_EXAMPLES=150 makes over 50,000 requests (100 made 49,152); the counts are printed.
FUZZ_EXAMPLES ?= 150
FUZZ_DATABASE_URL ?= sqlite:///var/test.sqlite3
fuzz: setup
	@mkdir -p var
	@DATABASE_URL='$(FUZZ_DATABASE_URL)' ZHENGTONG_ENV=test ZT_FUZZ_EXAMPLES=$(FUZZ_EXAMPLES) ZT_FUZZ_RANDOM=1 ZT_FUZZ_COUNTS=var/fuzz-counts.json \
	  $(PY) -m pytest -q -p no:logging tests/test_fuzz_api.py $(PYTEST_ARGS)

# The CJK font embedded in generated PDFs (sealed decisions, notices, documents) and the PDF tools
# the tests use to look at them.
fonts:
	@{ test -f /usr/share/fonts/truetype/wqy/wqy-zenhei.ttc && command -v pdftoppm >/dev/null ; } || \
	  { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq fonts-wqy-zenhei poppler-utils; }

browser:
	@{ command -v chromium >/dev/null && fc-list :lang=zh | grep -q . ; } || \
	  { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-noto-cjk; }

# Benchmarks (never part of make test): `make bench` runs them all, `make bench-<area>` one.
# Every script in bench/ that is a benchmark (not a helper module) has a target bench-<name>.
BENCHES := foundation opendata services codes grid audit sandbox supervision identity datause cockpit workspace
bench: $(addprefix bench-,$(BENCHES))

# wrk, the HTTP load generator the benchmarks prefer (C: it leaves the cores to the server), and
# nginx, the load balancer of the multi-node soak (bench/soak.py, make bench-soak).
bench-tools:
	@command -v wrk >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk; } || \
	  echo "wrk could not be installed: the HTTP benchmarks fall back to a Python load generator"
	@test -x /usr/sbin/nginx || { DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nginx-light || \
	  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nginx; } || echo "nginx could not be installed: bench/soak.py needs it"


# bench-<name>: run bench/<name>.py (wrk is installed first for the HTTP benchmarks).
bench-%: setup bench-tools
	@$(PY) bench/$*.py





clean:
	rm -rf $(VENV) node_modules $(VENDOR) var staticfiles
