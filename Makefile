# bring-together impact: `make demo` runs the whole pipeline on sample data, `make test` the tests.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PARTICIPANTS ?= 5000
SEED ?= 42
# The demo injects a few bad rows of every kind so the quarantine has something to show.
SAMPLE_FLAGS ?= --bad-rows
export GX_ANALYTICS_ENABLED := false
export DAGSTER_HOME ?= $(CURDIR)/data/dagster_home

.PHONY: setup system-deps sample demo test lint dev clean

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@

setup: $(VENV)/.installed

# Debian packages for PDF rendering (WeasyPrint), PDF inspection and the browser test.
# Installed when running as root on Debian; otherwise this only says what is missing.
system-deps:
	@if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
	    libpango-1.0-0 libpangoft2-1.0-0 fonts-dejavu-core poppler-utils chromium >/dev/null; \
	else echo "not root: make sure libpango-1.0-0 libpangoft2-1.0-0 fonts-dejavu-core poppler-utils chromium are installed"; fi

$(DAGSTER_HOME)/dagster.yaml:
	mkdir -p $(DAGSTER_HOME)
	printf 'telemetry:\n  enabled: false\n' > $@

sample: setup
	$(BIN)/python -m pipelines.sample_data --out data/inbox --funders data/funders.toml \
	  --participants $(PARTICIPANTS) --seed $(SEED) $(SAMPLE_FLAGS)

demo: system-deps setup $(DAGSTER_HOME)/dagster.yaml sample
	$(BIN)/dagster asset materialize -m pipelines.definitions --select '*'
	@echo
	@echo "Warehouse: data/warehouse.duckdb   Reports: data/reports/<funder_id>/   Inbox: data/inbox/"

dev: setup $(DAGSTER_HOME)/dagster.yaml
	$(BIN)/dagster dev -h 127.0.0.1 -p 3000

test: system-deps setup
	$(BIN)/python -m pytest -q

lint: setup
	$(BIN)/ruff check . && $(BIN)/ruff format --check .

clean:
	rm -rf data/inbox data/warehouse.duckdb* data/reports data/dagster_home
