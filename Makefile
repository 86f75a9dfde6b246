# Set-up and the main jobs. `make demo` and `make test` work on a bare machine
# with only Python: they create .venv, install the project, then run.
SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: demo test test-fast bench dev clean

demo: $(STAMP)
	$(VENV)/bin/samskab demo

test: $(STAMP)
	$(PY) -m pytest $(PYTEST_ARGS)

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

bench: $(STAMP)
	$(PY) -m bench $(BENCH_ARGS)
