# Two commands for a newcomer: `make demo` and `make test`. Everything else is for contributors.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
PLUGINS := $(wildcard plugins/*/pyproject.toml)
PLUGINS := $(PLUGINS:/pyproject.toml=)

.PHONY: demo test check lint typecheck imports clean

$(BIN)/galfriday: pyproject.toml $(PLUGINS:=/pyproject.toml)
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]' $(foreach p,$(PLUGINS),-e $(p))
	@touch $@

demo: $(BIN)/galfriday  ## run the main job on embedded defaults
	$(BIN)/galfriday demo

test: $(BIN)/galfriday  ## run the whole test suite
	$(BIN)/pytest -q

check: lint typecheck imports  ## the quality gates CI runs before the tests

lint: $(BIN)/galfriday
	$(BIN)/ruff check galfriday tests benchmarks plugins

typecheck: $(BIN)/galfriday
	$(BIN)/mypy
	$(foreach p,$(PLUGINS),$(BIN)/mypy --strict $(p)/src &&) true

imports: $(BIN)/galfriday
	$(BIN)/lint-imports

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache
