# nianbao — every target sets itself up: a virtualenv from pyproject + constraints.txt,
# and the Debian packages in debian-packages.txt (apt-get, only those missing).
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
DATA ?= data
DEBS := $(shell grep -v '^\s*\#' debian-packages.txt)
SUDO := $(shell [ "$$(id -u)" -eq 0 ] || echo sudo)

.PHONY: setup debs demo test test-fast test-faults lint cassettes fixtures bench bench-redis clean metrics-docs fuzz-discovery fuzz-hostile

setup: $(VENV)/.installed debs

$(VENV)/.installed: pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -c constraints.txt -e '.[dev,serve]'
	touch $@

debs:
	@missing=$$(for p in $(DEBS); do dpkg -s $$p >/dev/null 2>&1 || echo $$p; done); \
	if [ -n "$$missing" ]; then \
		echo "installing Debian packages:" $$missing; \
		$(SUDO) apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq --no-install-recommends $$missing; \
	fi

## The whole pipeline, offline, over the bundled cassettes, into ./data (the crawl's summary
## ends with the one "Browse the result" line).
demo: setup
	$(BIN)/nianbao crawl --replay cassettes/demo.warc.gz --verify --data-dir $(DATA) || [ $$? -eq 1 ]

## All tests and doctests on TEST_WORKERS cores; test-fast leaves out the slow ones (edit loop).
## Exit status 5 (pytest collected no tests) is a failure too, with its reason.
TEST_WORKERS ?= 2
PYTEST = $(BIN)/python -m pytest -q -n $(TEST_WORKERS)
NO_TESTS = { rc=$$?; [ $$rc -ne 5 ] || echo "pytest collected no tests: check testpaths in pyproject.toml" >&2; exit $$rc; }

test: setup
	$(BIN)/ruff check .
	$(PYTEST) || $(NO_TESTS)

test-fast: setup
	$(PYTEST) -m "not slow" || $(NO_TESTS)

## Every hostile-server case, the slow ones too: SIGTERM/SIGKILL and resume, a full disk on a
## small tmpfs (skipped with the reason when not root or mounting is not permitted), Ctrl-C in
## reparse, memory with endless downloads and bombs in flight.
test-faults: setup
	NIANBAO_FAULTS=1 $(BIN)/python -m pytest -q tests/test_hostile.py tests/test_faults.py tests/test_sandbox.py

lint: setup
	$(BIN)/ruff check . && $(BIN)/ruff format --check .

## Re-record cassettes/demo.warc.gz by crawling the mock portals on 127.0.0.1.
cassettes: setup
	$(BIN)/python -m tests.record_demo_cassette cassettes/demo.warc.gz

## Benchmarks (not part of `make test`): a table, and bench/results/latest.json.
## nginx serves the generated portals; pdfplumber and py-spy are the baselines' and profiles' tools.
## BENCH_ARGS=--profile adds a crawl under py-spy; BENCH_ARGS='--only reparse' one section.
bench: $(VENV)/.bench debs
	@[ -x /usr/sbin/nginx ] || { $(SUDO) apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq --no-install-recommends nginx; }
	$(BIN)/python -m bench $(BENCH_ARGS)

## The Redis frontier's memory per request and rate against plain scrapy-redis (README's estimate).
bench-redis: setup
	$(BIN)/python -m bench.redis_frontier

$(VENV)/.bench: $(VENV)/.installed
	$(BIN)/pip install -q -c constraints.txt -e '.[dev,serve,bench]'
	touch $@

## Discovery judged on N generated portals (seeds from START); SEED=1234 replays one failing seed.
N ?= 500
START ?= 1000
fuzz-discovery: setup
	$(BIN)/python -m tests.mockportal.generator fuzz --n $(N) --start $(START) $(if $(SEED),--seed $(SEED),)

## N generated hostile portals (tests/hostilegen.py) in one crawl; a failure names its seed.
fuzz-hostile: setup
	NIANBAO_HOSTILE_SEEDS=$(N) $(BIN)/python -m pytest -q tests/test_hostile_generated.py

## Regenerate the seed fixtures (DOCX, DOC, PDF, XLS, HTML) with LibreOffice.
fixtures: setup
	$(BIN)/python tests/fixtures/make_fixtures.py

## Regenerate docs/metrics.md from the metric dictionary (parsers/metrics/dictionary.py).
metrics-docs: setup
	$(BIN)/python -m parsers.metrics.dictionary --markdown > docs/metrics.md

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
