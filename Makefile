# make demo: set up and run the demo. make test: set up and run the tests.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: setup system demo test lint portal bench soak clean

setup: system $(VENV)/.installed

system:
	@bash scripts/ensure-system.sh

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[dev]'
	touch $@

demo: setup
	$(BIN)/ippbot demo

test: setup
	$(BIN)/python -m pytest --tracing retain-on-failure --output test-results

lint: setup
	$(BIN)/ruff check .
	$(BIN)/mypy

portal: setup
	$(BIN)/ippbot portal serve --port 8765

clean:
	rm -rf $(VENV) .ippbot test-results
