# Two commands do all the set-up: `make demo` and `make test`.
# Both create .venv if it is missing and install the project into it.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: demo test typecheck browser lint bench bundle clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(STAMP): $(BIN)/python pyproject.toml
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/rotation backtest configs/capital_scarcity.yaml configs/spy_buy_hold.yaml \
		configs/sixty_forty.yaml configs/equal_weight.yaml

test: typecheck browser
	$(BIN)/python -m pytest

# mypy --strict over src/, as configured in pyproject.toml; its cache (.mypy_cache) makes a
# second run take seconds.
typecheck: $(STAMP)
	$(BIN)/python -m mypy

# The report's browser test needs Chromium and chromedriver. Install them (Debian packages)
# when missing and we may (root with apt-get); otherwise that test skips and says why.
browser:
	@if command -v chromium >/dev/null && command -v chromedriver >/dev/null; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
		(apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
			chromium chromium-driver >/dev/null) \
		|| echo "could not install chromium: the browser test will be skipped"; \
	else echo "chromium not found and cannot install it: the browser test will be skipped"; fi

lint: $(STAMP)
	$(BIN)/ruff check src tests strategies benchmarks
	$(BIN)/ruff format --check src tests strategies benchmarks

bench: $(STAMP)
	$(BIN)/python -m pip install --quiet -e '.[dev,bench]'
	$(BIN)/python -m benchmarks

# Maintainers only: rebuild the bundled snapshot from a copy of the shared dataset.
SHARED_DATA ?= ../shared/data
bundle: $(STAMP)
	$(BIN)/python -m rotation.data.bundle $(SHARED_DATA)

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .mypy_cache build src/*.egg-info
