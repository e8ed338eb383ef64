# make build: set up .venv and build this repository's site into output/
# make test:  set up .venv with the test tools and run the whole suite
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: build test check clean

$(BIN)/newpower: pyproject.toml
	@# Debian's python3 may lack ensurepip (package python3-venv): then make the
	@# venv without pip and install pip into it with the system's own pip.
	$(PYTHON) -m venv $(VENV) || { rm -rf $(VENV) && $(PYTHON) -m venv --without-pip $(VENV) \
	  && $(PYTHON) -m pip --python $(BIN)/python install --quiet pip; } \
	  || { echo "make: cannot create $(VENV): install Python's venv module (Debian: apt-get install python3-venv)" >&2; exit 1; }
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(VENV)/.test-deps: $(BIN)/newpower
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $@

build: $(BIN)/newpower
	$(BIN)/newpower build --site .

check: $(BIN)/newpower
	$(BIN)/newpower check --site .

test: $(VENV)/.test-deps
	$(BIN)/python -m pytest

clean:
	rm -rf $(VENV) output .pytest_cache .hypothesis
