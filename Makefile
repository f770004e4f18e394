# Two commands do all the set-up: `make demo` and `make test`.
# Both create .venv if it is missing and install the project into it.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: demo test lint bench bundle clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(STAMP): $(BIN)/python pyproject.toml
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/rotation backtest configs/capital_scarcity.yaml configs/spy_buy_hold.yaml \
		configs/sixty_forty.yaml configs/equal_weight.yaml

test: $(STAMP)
	$(BIN)/python -m pytest

lint: $(STAMP)
	$(BIN)/ruff check src tests strategies benchmarks
	$(BIN)/ruff format --check src tests strategies benchmarks

bench: $(STAMP)
	$(BIN)/python -m benchmarks

# Maintainers only: rebuild the bundled snapshot from a copy of the shared dataset.
SHARED_DATA ?= ../shared/data
bundle: $(STAMP)
	$(BIN)/python -m rotation.data.bundle $(SHARED_DATA)

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache build src/*.egg-info
