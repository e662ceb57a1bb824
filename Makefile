# The README's commands. `make run` and `make test` do all the set-up on a fresh clone.
VENV := .venv
PY := $(VENV)/bin/python
PYTHON ?= python3
export DAGSTER_HOME ?= $(CURDIR)/.dagster_home
export PYTHONUNBUFFERED := 1

.PHONY: install run dev test docs sample clean dagster-home

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --upgrade pip
	$(VENV)/bin/pip install --quiet -e ".[dev]"
	touch $@

install: $(VENV)/.installed

dagster-home:
	@mkdir -p $(DAGSTER_HOME)
	@cp dagster_project/dagster.yaml $(DAGSTER_HOME)/dagster.yaml

## run: the daily job once on the landing zone (TTV_LANDING_DIR, TTV_WAREHOUSE, TTV_AS_OF)
run: install dagster-home
	$(PY) -m dagster_project.run

## dev: the Dagster UI and daemon (schedule on) at http://localhost:3000
dev: install dagster-home
	$(VENV)/bin/dagster dev -m dagster_project.definitions

## test: unit, dbt and end-to-end tests on small hand-made data
test: install
	$(PY) -m pytest

## docs: the dbt docs site for every table and column (dbt_models/target/index.html)
docs: install
	cd dbt_models && ../$(VENV)/bin/dbt docs generate --profiles-dir .

## sample: regenerate the sample landing zone in data/landing (deterministic)
sample: install
	$(PY) -m dagster_project.lib.sample_data --out data/landing

clean:
	rm -rf $(VENV) .dagster_home dbt_models/target dbt_models/logs data/warehouse.duckdb
