# Two commands on a fresh machine: `make demo` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
PORT   ?= 8501
STAMP  := $(VENV)/.installed

.PHONY: demo test install clean bench eval

install: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[test]'
	touch $(STAMP)

## Serve the dashboard with a live multilingual demo stream on http://127.0.0.1:$(PORT)
demo: install
	$(BIN)/clamor run --demo --open --port $(PORT)

## Run the whole test suite, browser tests included, on every core (pytest-xdist): much of
## it waits on a browser, a server or a subprocess: 7.5–8.5 min on two cores, 13 on one
test: install
	$(BIN)/python -m pytest -q -n auto

## Measure the analysis on held-out data (needs ../shared/eval or $$CLAMOR_EVAL_DATA)
eval: install
	$(BIN)/python scripts/make_eval_data.py data/eval
	$(BIN)/clamor eval --data data/eval

## Measure a synthetic 1 M-mention store (ingest, inbox, search, overview, memory)
bench: install
	$(BIN)/clamor bench

clean:
	rm -rf $(VENV) data/demo.duckdb
