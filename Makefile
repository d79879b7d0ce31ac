# Caption gateway. `make run` and `make test` set up everything they need on a fresh machine:
# system packages through apt (when missing), a virtualenv in .venv, the project and its extras.

PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
PORT ?= 8000
REDIS_PORT ?= 6390
VAR ?= var
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

RUN_PACKAGES := redis-server
TEST_PACKAGES := redis-server redis-sentinel ffmpeg espeak-ng chromium

.PHONY: run test lint format bench clean

run: $(VENV)/.run-deps
	@$(MAKE) --no-print-directory apt PACKAGES="$(RUN_PACKAGES)"
	$(BIN)/caption-gateway run-local --port $(PORT) --redis-port $(REDIS_PORT) --var $(VAR)

test: $(VENV)/.test-deps
	@$(MAKE) --no-print-directory apt PACKAGES="$(TEST_PACKAGES)"
	$(BIN)/ruff check .
	$(BIN)/pytest -q

lint: $(VENV)/.test-deps
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(VENV)/.test-deps
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

bench: $(VENV)/.test-deps
	@$(MAKE) --no-print-directory apt PACKAGES="$(TEST_PACKAGES)"
	$(BIN)/python bench/formats/convert_bench.py
	$(BIN)/python bench/whisper/whisper_bench.py
	$(BIN)/python bench/api/api_bench.py

# Install the Debian packages whose command is missing (the command and package names agree).
apt:
	@missing=""; for p in $(PACKAGES); do command -v $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
		echo "installing:$$missing"; \
		$(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq $$missing; \
	fi

# Debian's python3 has venv in a package of its own (python3-venv)
$(BIN)/python:
	$(PYTHON) -m venv $(VENV) || { $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive \
		$(SUDO) apt-get install -y -qq python3-venv && rm -rf $(VENV) && $(PYTHON) -m venv $(VENV); }
	$(BIN)/pip install -q -U pip

$(VENV)/.run-deps: setup.cfg pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q -e '.[whisper]'
	touch $@

# the test plugins and the example third-party package (examples/) are installed as a user would
$(VENV)/.test-deps: setup.cfg pyproject.toml tests/demo_provider/pyproject.toml tests/broken_provider/pyproject.toml \
		examples/caption-gateway-openai/pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q -e '.[whisper,test]' -e tests/demo_provider -e tests/broken_provider \
		-e 'examples/caption-gateway-openai[test]'
	touch $@ $(VENV)/.run-deps

clean:
	rm -rf $(VENV) build *.egg-info tests/*/*.egg-info examples/*/*.egg-info .pytest_cache .ruff_cache
