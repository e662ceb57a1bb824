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

## test-spark: the test fixture built on DuckDB and on Apache Spark (dbt-spark, in-process), every
## mart compared row by row; installs the [spark] extra (~500 MB) on first use. Needs Java 17.
.PHONY: test-spark
$(VENV)/.installed-spark: $(VENV)/.installed
	$(VENV)/bin/pip install --quiet -e ".[dev,spark]"
	touch $@

test-spark: $(VENV)/.installed-spark
	@command -v java >/dev/null || { echo "make test-spark needs Java 17 (apt-get install openjdk-17-jre-headless)" >&2; exit 1; }
	SPARK_LOCAL_IP=127.0.0.1 $(PY) -m pytest -m spark tests/spark

## docs: the dbt docs site for every table and column (dbt_models/target/index.html), from the
## working file of the last `make run` (the published file holds only the analyst tables)
## (the working file is resolved before `cd dbt_models`, where .venv/bin/python is not; a missing
## working file stops here with a sentence instead of dbt failing to find its database)
docs: install
	@working=$$($(PY) -c "from dagster_project import paths; print(paths.working_warehouse_path())") && \
	test -f "$$working" || { echo "make docs needs a built warehouse: run \`make run\` first (no $$working)" >&2; exit 1; }; \
	cd dbt_models && TTV_WAREHOUSE="$$working" ../$(VENV)/bin/dbt docs generate --profiles-dir .

## bench: speed and memory at a size (ACCOUNTS, EVENTS) and at a tenth of it; bench/results.json
ACCOUNTS ?= 2000
EVENTS ?= 5000000
.PHONY: bench
bench: install
	$(PY) bench/run_bench.py --accounts $(ACCOUNTS) --events $(EVENTS)

## sample: regenerate the sample landing zone in data/landing (deterministic)
sample: install
	$(PY) -m dagster_project.lib.sample_data --out data/landing

clean:
	rm -rf $(VENV) .dagster_home dbt_models/target dbt_models/logs data/warehouse.duckdb \
		data/warehouse.duckdb.build bench/work
