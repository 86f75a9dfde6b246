# Set-up and the main jobs. `make demo` and `make test` work on a bare machine
# with only Python: they create .venv, install the project, then run.
SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
LOCK := requirements-dev.lock
DKFDS_STATIC := app/pages/static/dkfds
ASSETS := $(DKFDS_STATIC)/.copied

.PHONY: demo test test-fast lint bench dev clean chromium wrk assets lock

demo: $(STAMP) $(ASSETS)
	$(VENV)/bin/samskab demo

# Two test processes (pytest-xdist): most of the suite's time is spent waiting on Temporal,
# browsers and subprocesses, so two share the machine's cores well. TEST_PROCESSES=0 runs it in one.
TEST_PROCESSES ?= 2

test: lint $(STAMP) $(ASSETS) chromium wrk
	$(PY) -m pytest -n $(TEST_PROCESSES) --dist worksteal $(PYTEST_ARGS)

# The linter, the type checker and the formatter's check, as pyproject.toml configures them
# (ruff and mypy pinned in the dev extra); make test runs this first.
lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/mypy
	$(VENV)/bin/ruff format --check .

# The pages' toolkit, Det Fælles Designsystem (npm 'dkfds', pinned in package-lock.json;
# axe-core for the accessibility tests beside it). 'npm ci' runs only when node_modules
# is missing or the lock file changed; nothing is downloaded while the app runs.
node_modules/.package-lock.json: package-lock.json
	npm ci --no-audit --no-fund
	@touch $@

# Only what the pages use is copied into the package (and so into its wheel): the
# stylesheet, the fonts as woff2/woff, the icons and DKFDS's script; not its 12 MB of
# font formats for old browsers, its Sass sources or its maps.
$(ASSETS): node_modules/.package-lock.json
	rm -rf $(DKFDS_STATIC) && mkdir -p $(DKFDS_STATIC)/css $(DKFDS_STATIC)/js $(DKFDS_STATIC)/fonts/IBMPlexSans/complete
	cp node_modules/dkfds/dist/css/dkfds.min.css $(DKFDS_STATIC)/css/
	cp node_modules/dkfds/dist/js/dkfds.min.js $(DKFDS_STATIC)/js/
	cp -r node_modules/dkfds/dist/fonts/IBMPlexSans/complete/woff2 node_modules/dkfds/dist/fonts/IBMPlexSans/complete/woff $(DKFDS_STATIC)/fonts/IBMPlexSans/complete/
	cp -r node_modules/dkfds/dist/img $(DKFDS_STATIC)/img
	cp node_modules/dkfds/dist/LICENSE.md $(DKFDS_STATIC)/
	@touch $@

assets: $(ASSETS)

# The browser tests drive Debian's chromium; install it when it is missing (as root).
chromium:
	@if [ ! -x /usr/bin/chromium ]; then \
		echo "installing chromium for the browser tests"; \
		$$( [ "$$(id -u)" = 0 ] || echo sudo ) apt-get update -qq && \
		$$( [ "$$(id -u)" = 0 ] || echo sudo ) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; \
	fi

# Everything but the end-to-end demo run, for a quick loop while coding.
test-fast: $(STAMP) $(ASSETS)
	$(PY) -m pytest -m "not e2e" $(PYTEST_ARGS)

dev: $(STAMP) $(ASSETS)
	$(VENV)/bin/samskab dev up

$(PY):
	@py=$$(scripts/find-python) && echo "creating $(VENV) with $$py" && "$$py" -m venv $(VENV)

# Re-install only when the project's metadata or the lock file changed: exactly the
# versions the lock file pins, each file checked against its hash, then the project itself.
$(STAMP): pyproject.toml $(LOCK) | $(PY)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet --require-hashes -r $(LOCK)
	$(PY) -m pip install --quiet --no-deps -e .
	@touch $(STAMP)

# The lock file again from pyproject.toml (after changing a dependency).
lock: | $(PY)
	$(PY) -m pip install --quiet 'pip-tools>=7.4'
	scripts/lock

clean:
	rm -rf $(VENV) .data .pytest_cache build *.egg-info node_modules $(DKFDS_STATIC)

bench: $(STAMP) $(ASSETS) wrk
	$(PY) -m bench $(BENCH_ARGS)

# The HTTP timeline measure drives the API with Debian's wrk (a C load generator that
# needs little CPU per request); install it when it is missing (as root).
wrk:
	@if ! command -v wrk >/dev/null 2>&1; then \
		echo "installing wrk for the HTTP benchmark"; \
		$$( [ "$$(id -u)" = 0 ] || echo sudo ) apt-get update -qq && \
		$$( [ "$$(id -u)" = 0 ] || echo sudo ) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk; \
	fi
