# pullsim: `make run` and `make test` are all a newcomer needs; both create .venv when needed.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test lint bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/pullsim compare scenarios/01-private-registry-seed.yaml -o out/seed
	$(BIN)/pullsim report scenarios/01-private-registry-seed.yaml -o out/seed/report.html
	@echo "tables: out/seed/summary.csv (one row per run), out/seed/summary_by_strategy.csv (means per strategy)"
	@echo "        (and .parquet; every table and run.json in out/seed/)"
	@echo "figures: out/seed/figures/"
	@echo "report: out/seed/report.html"

lint: $(STAMP)
	$(BIN)/ruff check pullsim tests benchmarks
	$(BIN)/ruff format --check pullsim tests benchmarks

test: lint
	$(BIN)/python -m pytest

bench: $(STAMP)
	$(BIN)/python benchmarks/run_all.py

clean:
	rm -rf $(VENV) .pytest_cache .hypothesis out
