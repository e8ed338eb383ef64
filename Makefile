# make build: set up .venv and build this repository's site into output/
# make test:  set up .venv with the test tools and run the whole suite
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: build test test-tools check clean bench bench-detail serve new dist

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

# make serve: preview this site on http://127.0.0.1:8000/, rebuilt and reloaded on every save
serve: $(BIN)/newpower
	$(BIN)/newpower serve --site .

# make new KIND=article TITLE="Why we organise": start a new item (KIND: article, voice, newsletter, page)
KIND ?= article
new: $(BIN)/newpower
	@[ -n "$(TITLE)" ] || [ "$(KIND)" = newsletter ] || { echo 'make new: give a title, e.g. make new KIND=$(KIND) TITLE="Why we organise"' >&2; exit 2; }
	$(BIN)/newpower new $(KIND) $(if $(TITLE),"$(TITLE)") --site .

# make dist: a wheel in dist/ (theme included) to install the generator for another site:
#   pip install dist/newpower_site-*.whl, then: newpower new site "Our Org"
DIST ?= dist
WHEEL_PYTHON ?= $(if $(wildcard $(BIN)/python),$(BIN)/python,$(PYTHON))
dist:
	$(WHEEL_PYTHON) -m pip wheel --quiet --no-deps --wheel-dir $(DIST) .

# make bench: every figure of the performance targets in one run (docs/performance.md, "How to run
# the benchmarks"), beside Hugo (Debian's hugo, installed when missing) and Pelican 4.7
# (benchmarks/.venv-pelican): 10,000 items and the archive corpus, medians of 3, ending with a table
# of figure, target, met or not. About 15-25 minutes on 2 cores.
bench: $(BIN)/newpower
	@command -v hugo >/dev/null || { $(APT_INSTALL) hugo; }
	$(BIN)/python benchmarks/targets.py 10000 --runs 3

# make bench-detail: the per-figure scripts (1,000 and 10,000 items, check and serve too, memory
# with Pagefind apart, Hugo and Pelican on the synthetic corpus). Takes tens of minutes.
bench-detail: $(BIN)/newpower
	@command -v hugo >/dev/null || { $(APT_INSTALL) hugo; }
	$(BIN)/python benchmarks/bench.py 1000 10000 --runs 5
	$(BIN)/python benchmarks/compare.py 10000 --runs 3
	$(BIN)/python benchmarks/memory.py 1000 10000

# The browser checks (tests/test_browser.py, tests/test_html_valid.py) need
# Debian's chromium, a Java runtime for the Nu HTML Checker, and the npm tools
# pinned in package-lock.json; each is installed only when missing.
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
APT_INSTALL := $(SUDO) apt-get update -qq && $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends

test-tools: node_modules/.package-lock.json
	@command -v chromium >/dev/null || { $(APT_INSTALL) chromium; }
	@command -v java >/dev/null || { $(APT_INSTALL) default-jre-headless; }

# --ignore-scripts: vnu-jar's install script would download a Java runtime; Debian's is used instead.
node_modules/.package-lock.json: package.json package-lock.json
	@command -v npm >/dev/null || { $(APT_INSTALL) nodejs npm; }
	npm ci --no-audit --no-fund --ignore-scripts --loglevel=error
	touch $@

test: $(VENV)/.test-deps test-tools
	$(BIN)/python -m pytest

clean:
	rm -rf $(VENV) output dist .pytest_cache .hypothesis node_modules
