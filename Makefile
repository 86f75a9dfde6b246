# Set-up and the main jobs. `make demo` and `make test` work on a bare machine
# with only Python: they create .venv, install the project, then run.
SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: demo test test-fast bench dev clean chromium wrk

demo: $(STAMP)
	$(VENV)/bin/samskab demo

test: $(STAMP) chromium wrk
	$(PY) -m pytest $(PYTEST_ARGS)

# The browser tests drive Debian's chromium; install it when it is missing (as root).
chromium:
	@if [ ! -x /usr/bin/chromium ]; then \
		echo "installing chromium for the browser tests"; \
		$$( [ "$$(id -u)" = 0 ] || echo sudo ) apt-get update -qq && \
		$$( [ "$$(id -u)" = 0 ] || echo sudo ) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; \
	fi

# Everything but the end-to-end demo run, for a quick loop while coding.
test-fast: $(STAMP)
	$(PY) -m pytest -m "not e2e" $(PYTEST_ARGS)

dev: $(STAMP)
	$(VENV)/bin/samskab dev up

$(PY):
	@py=$$(scripts/find-python) && echo "creating $(VENV) with $$py" && "$$py" -m venv $(VENV)

# Re-install only when the project's metadata changed.
$(STAMP): pyproject.toml | $(PY)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

clean:
	rm -rf $(VENV) .data .pytest_cache build *.egg-info

bench: $(STAMP) wrk
	$(PY) -m bench $(BENCH_ARGS)

# The HTTP timeline measure drives the API with Debian's wrk (a C load generator that
# needs little CPU per request); install it when it is missing (as root).
wrk:
	@if ! command -v wrk >/dev/null 2>&1; then \
		echo "installing wrk for the HTTP benchmark"; \
		$$( [ "$$(id -u)" = 0 ] || echo sudo ) apt-get update -qq && \
		$$( [ "$$(id -u)" = 0 ] || echo sudo ) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk; \
	fi
