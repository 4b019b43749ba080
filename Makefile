# nianbao — every target sets itself up: a virtualenv from pyproject + constraints.txt,
# and the Debian packages in debian-packages.txt (apt-get, only those missing).
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
DATA ?= data
DEBS := $(shell grep -v '^\s*\#' debian-packages.txt)
SUDO := $(shell [ "$$(id -u)" -eq 0 ] || echo sudo)

.PHONY: setup debs demo test lint cassettes fixtures bench clean fuzz-discovery

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

## The whole pipeline, offline, over the bundled cassettes, into ./data.
demo: setup
	$(BIN)/nianbao crawl --replay cassettes/demo.warc.gz --data-dir $(DATA) || [ $$? -eq 1 ]
	$(BIN)/nianbao verify --data-dir $(DATA)
	$(BIN)/nianbao status --data-dir $(DATA)
	@echo
	@echo "Browse the result:  $(BIN)/nianbao serve --data-dir $(DATA)   (then open http://127.0.0.1:8001)"

test: setup
	$(BIN)/ruff check .
	$(BIN)/python -m pytest -q

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

$(VENV)/.bench: $(VENV)/.installed
	$(BIN)/pip install -q -c constraints.txt -e '.[dev,serve,bench]'
	touch $@

## Discovery judged on N generated portals (seeds from START); SEED=1234 replays one failing seed.
N ?= 500
START ?= 1000
fuzz-discovery: setup
	$(BIN)/python -m tests.mockportal.generator fuzz --n $(N) --start $(START) $(if $(SEED),--seed $(SEED),)

## Regenerate the seed fixtures (DOCX, DOC, PDF, XLS, HTML) with LibreOffice.
fixtures: setup
	$(BIN)/python tests/fixtures/make_fixtures.py

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
