# archgen: `make demo` and `make test` work on a fresh machine (see README).
PY      ?= python3
VENV    := .venv
BIN     := $(VENV)/bin
STAMP   := $(VENV)/.installed
# The CPU build of torch that lies on disk; an unpinned torch would pull a CUDA build.
TORCH   := torch==2.13.0
# pytest-xdist workers for the test suites (0: none, one process). Compiling is mostly
# single-threaded (torch.export, one C++ build per artifact), so two workers on two cores
# cut a cold run's time; each worker runs torch on cores / workers threads (tests/conftest.py).
JOBS    ?= 2

.PHONY: demo test test-slow lint format check generate verify bench clean

$(BIN)/python:
	$(PY) -m venv $(VENV)

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet $(TORCH)
	$(BIN)/pip install --quiet -e ".[test]"
	touch $(STAMP)

demo: $(STAMP)  ## generate every spec, then verify every architecture x head against the reference
	$(BIN)/archgen generate
	$(BIN)/archgen verify

test: $(STAMP)  ## lint, staleness check, then the default (non-slow) test suite
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/archgen check
	$(BIN)/python -m pytest tests -m "not slow" -q -n $(JOBS) --dist worksteal

test-slow: $(STAMP)  ## the slow tests and the long hypothesis profile
	HYPOTHESIS_PROFILE=dev $(BIN)/python -m pytest tests -q -n $(JOBS) --dist worksteal

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(STAMP)
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

generate: $(STAMP)
	$(BIN)/archgen generate

check: $(STAMP)
	$(BIN)/archgen check

verify: $(STAMP)
	$(BIN)/archgen verify

bench: $(STAMP)  ## CPU benchmark: prints a table and writes bench/RESULTS.md (minutes; not part of CI)
	$(BIN)/pip install --quiet -e ".[bench]"
	$(BIN)/python bench/bench.py

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache .hypothesis .ruff_cache
