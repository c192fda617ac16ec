# Two entry points: `make run` (set up, then train ES on CartPole) and `make test`
# (what CI runs); `make test-fast` is the quick tier for the edit loop.
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: setup run test test-fast
setup: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	python3 -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -e '.[dev]'
	touch $@

run: setup
	$(BIN)/esrl train es --env CartPole-v1

test: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/python -m pytest -q -n 2

# the edit loop: unit and small integration tests, about a minute
test-fast: setup
	$(BIN)/ruff check .
	$(BIN)/python -m pytest -q -n 2 -m "not slow"
