# make demo: set up and run the demo. make test: set up and run the tests.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
# headed-browser tests need a display: the suite runs on a virtual one (Xvfb, installed by setup);
# looked up when the recipe runs, after setup, not when make reads this file
XVFB = $$(command -v xvfb-run >/dev/null 2>&1 && echo xvfb-run -a)

.PHONY: setup system demo test lint portal bench soak clean report-png

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
	$(XVFB) $(BIN)/python -m pytest --tracing retain-on-failure --output test-results

soak: setup
	IPPBOT_SOAK=1 $(XVFB) $(BIN)/python -m pytest tests/reliability -m reliability --timeout 14400 --tracing retain-on-failure --output test-results

# every benchmark of bench/, each on its own mock portal; writes docs/BENCHMARKS.md (about an hour)
bench: setup
	$(BIN)/python -m bench

# ruff, mypy --strict on bot/ and flows/, and the import layers of bot/ (pyproject's [tool.importlinter])
lint: setup
	$(BIN)/ruff check .
	$(BIN)/mypy
	$(BIN)/lint-imports

# docs/report.png, the README's picture of the report, from a fresh demo (about a minute)
report-png: setup
	$(BIN)/python scripts/report-screenshot.py

portal: setup
	$(BIN)/ippbot portal serve --port 8765

clean:
	rm -rf $(VENV) .ippbot test-results
