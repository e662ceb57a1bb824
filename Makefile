# The README's commands. `make run` and `make test` do all the set-up on a fresh clone.
VENV := .venv
PY := $(VENV)/bin/python
PYTHON ?= python3
export PYTHONUNBUFFERED := 1

.PHONY: install run dev test docs sample clean report chromium

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --upgrade pip
	$(VENV)/bin/pip install --quiet -e ".[dev]"
	touch $@

## the crm and product dbt sources, written from config/schema.yml (lib/dbt_sources.py), then
## the dbt manifest Dagster builds its asset graph from, parsed at install and again after any
## change to what dbt parses (dagster_project/lib/dbt_manifest.py, WATCHED): importing the
## definitions never runs dbt
MANIFEST := dbt_models/target/manifest.json
DBT_SOURCES := $(shell find dbt_models/models dbt_models/macros dbt_models/tests -type f) \
	dbt_models/dbt_project.yml dbt_models/profiles.yml
$(MANIFEST): $(VENV)/.installed $(DBT_SOURCES) config/schema.yml
	$(PY) -m dagster_project.lib.dbt_sources
	$(PY) -m dagster_project.lib.dbt_manifest

install: $(VENV)/.installed $(MANIFEST)

## run: the daily job once on the landing zone (TTV_LANDING_DIR, TTV_WAREHOUSE, TTV_AS_OF)
run: install
	$(PY) -m dagster_project.run

## dev: the Dagster UI and daemon (schedule on) at http://localhost:3000, code location
## `ttv_warehouse` (pyproject.toml), with the run history kept beside the warehouse
## (<TTV_WAREHOUSE>.dagster/, see dagster_project/instance.py)
dev: install
	DAGSTER_HOME=$$($(PY) -m dagster_project.instance) $(VENV)/bin/dagster dev

## report: rewrite the TTV report (<TTV_WAREHOUSE>.report.html) from the published warehouse,
## without running the pipeline
report: install
	$(PY) -m dagster_project.lib.report

## chromium: Debian's Chromium, which the report's browser test drives through Playwright (the
## test points Playwright at it: no `playwright install`, which downloads a browser build)
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
chromium:
	@command -v chromium >/dev/null 2>&1 || { $(SUDO) apt-get update -qq \
		&& DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq chromium >/dev/null; }

## lint: Python by ruff (pyproject.toml: checks, then the formatter's layout) and the dbt models'
## SQL by sqlfluff (.sqlfluff: dbt templater, DuckDB dialect; dbt compiles against an in-memory
## database, so no warehouse is needed)
.PHONY: lint
lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	TTV_WORKING_WAREHOUSE=:memory: $(VENV)/bin/sqlfluff lint dbt_models/models dbt_models/tests

## test: unit, dbt and end-to-end tests on small hand-made data, the report in headless Chromium;
## two pytest-xdist workers (a run of the job is mostly one Python process at a time: Dagster,
## then dbt, then GX); the tests sharing a module's built warehouse on one worker (--dist
## loadgroup, tests/conftest.py)
test: install chromium
	$(PY) -m pytest -n 2 --dist loadgroup

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
	cd dbt_models && TTV_WORKING_WAREHOUSE="$$working" ../$(VENV)/bin/dbt docs generate --profiles-dir .

## screenshots: the report, the asset graph, a check's page and the dbt docs overview, taken by
## headless Chromium from the last `make run`'s warehouse and history, into docs/
.PHONY: screenshots
screenshots: install chromium
	$(PY) docs/ui_screenshots.py

## bench: speed and memory at a size (ACCOUNTS, EVENTS) and at a tenth of it, then the loader on
## about 265 small files against the same events in 3 large ones (bench/many_files.py, 300
## accounts and 60,000 events whatever the size: a couple of minutes); bench/results.json
ACCOUNTS ?= 2000
EVENTS ?= 5000000
.PHONY: bench
bench: install
	$(PY) bench/run_bench.py --accounts $(ACCOUNTS) --events $(EVENTS)
	$(PY) bench/many_files.py

## sample: regenerate the sample landing zone in data/landing (deterministic); the generator is
## sample_data/generate.py, its numpy comes with the `sample` extra (in `dev` too)
sample: install
	$(PY) -m sample_data.generate --out data/landing

clean:
	rm -rf $(VENV) dbt_models/target dbt_models/logs data/warehouse.duckdb \
		data/warehouse.duckdb.build data/warehouse.duckdb.dagster bench/work
