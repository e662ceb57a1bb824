"""An incremental model works on both engines with `incremental_strategy()` (engine.sql): on
Spark's plain Parquet tables it overwrites the day partitions of the new rows, on DuckDB it
deletes and inserts them. A copy of the project gets a small incremental model (events per day),
built as of 2026-03-01, then brought up to 2026-06-01 incrementally; both engines must end with
the counts a full computation gives. Then the project's own incremental models
(int_account_event_days and the two built on it) are built on Spark from an earlier delivery of
the events and run again on all of them: they must end equal to the DuckDB job's full build.
"""

import shutil
from pathlib import Path

import duckdb
import pytest

from dagster_project import paths
from dagster_project.lib import spark_sources
from tests.conftest import SMALL_AS_OF
from tests.spark.compare import Table, differences, read_duckdb_table, read_spark_table
from tests.spark.conftest import run_dbt

pytestmark = pytest.mark.spark

MODEL = "events_per_day"
MODEL_SQL = """
{{ config(materialized='incremental', incremental_strategy=incremental_strategy(),
          unique_key='event_date', partition_by=['event_date']) }}

with events as (
    select * from {{ ref('stg_product__events') }}
    where occurred_at <= {{ as_of() }}
    {%- if is_incremental() %}
        and occurred_at >= (select cast(max(event_date) as timestamp) from {{ this }})
    {%- endif %}
),

final as (
    select
        count(*) as events,
        cast(occurred_at as date) as event_date
    from events
    group by cast(occurred_at as date)
)

select * from final
"""
FIRST_AS_OF = "2026-03-01"


@pytest.fixture
def project_with_incremental_model(project_copy):
    (project_copy / "models" / "marts" / f"{MODEL}.sql").write_text(MODEL_SQL)
    return project_copy


def expected_counts(database) -> set[tuple]:
    # read-write like dbt-duckdb, which keeps its connection to the file open in this process
    with duckdb.connect(str(database)) as con:
        return set(
            con.execute(
                "select count(*), cast(occurred_at as date) from raw.events"
                " where occurred_at <= cast(? as timestamp) group by 2",
                [SMALL_AS_OF],
            ).fetchall()
        )


def build_twice(target: str, project, tmp_path) -> str:
    """Build the model as of FIRST_AS_OF, then as of SMALL_AS_OF; return the second run's SQL."""
    for as_of in (FIRST_AS_OF, SMALL_AS_OF):
        run = run_dbt(
            ["run", "--target", target, "--select", MODEL, "--vars", f'{{"as_of": "{as_of}"}}'],
            project,
            tmp_path / target,
        )
        assert run.success, run.log
    return (
        (
            tmp_path
            / target
            / "target"
            / "run"
            / "ttv_warehouse"
            / "models"
            / "marts"
            / f"{MODEL}.sql"
        )
        .read_text()
        .lower()
    )


def test_incremental_on_spark(
    project_with_incremental_model, spark_build, built_small_warehouse, tmp_path
):
    from pyspark.sql import SparkSession

    sql = build_twice("spark", project_with_incremental_model, tmp_path)
    assert "insert overwrite" in sql, sql
    rows = (
        SparkSession.builder.getOrCreate()
        .sql(f"select events, event_date from marts.{MODEL}")
        .collect()
    )
    database = spark_sources.sources_database(built_small_warehouse)
    assert {tuple(row) for row in rows} == expected_counts(database)


def test_incremental_on_duckdb(
    project_with_incremental_model, built_small_warehouse, tmp_path, monkeypatch
):
    working = spark_sources.sources_database(built_small_warehouse)
    warehouse = tmp_path / working.name  # same name, same DuckDB catalog the views refer to
    shutil.copyfile(working, warehouse)
    monkeypatch.setenv("TTV_WORKING_WAREHOUSE", str(warehouse))
    sql = build_twice("duckdb", project_with_incremental_model, tmp_path)
    assert "delete from" in sql, sql
    with duckdb.connect(str(warehouse)) as con:
        rows = set(con.execute(f"select events, event_date from marts.{MODEL}").fetchall())
    assert rows == expected_counts(warehouse)


# ---- the project's own incremental models, built from int_account_event_days, on Spark ---------

EVENT_DAYS = "int_account_event_days"
INCREMENTAL = (EVENT_DAYS, "int_account_event_firsts", "int_account_active_windows")
# what the readers of the other two take from them: the first per pair, in epoch microseconds
FIRSTS = """select account_id, event_name, {micros}(first_at) from (
    select account_id, event_name, min(first_at) as first_at
    from intermediate.int_account_event_firsts group by account_id, event_name)"""
WINDOWS = """select account_id, milestone, {micros}(first_at) from (
    select account_id, milestone, min(first_at) as first_at
    from intermediate.int_account_active_windows group by account_id, milestone)"""


def keep_part_of_the_events(events_folder: Path) -> None:
    """Rewrite an exported raw.events as an earlier delivery: the events before March, less the
    last event of each January day (late events that arrive in the next run)."""
    (exported,) = events_folder.glob("*.parquet")
    earlier = events_folder.parent / "events-earlier.parquet"
    with duckdb.connect() as con:
        con.execute("set TimeZone = 'UTC'")
        con.execute(
            f"""copy (
                select * from read_parquet('{exported}')
                where occurred_at < timestamptz '2026-03-01 00:00:00+00'
                qualify month(occurred_at) <> 1 or row_number() over (
                    partition by cast(occurred_at as date) order by occurred_at desc, event_id desc
                ) > 1
            ) to '{earlier}' (format parquet)"""
        )
    earlier.replace(exported)


def test_the_event_models_built_in_two_runs_on_spark_equal_a_full_build(
    spark_build, spark_dir, built_small_warehouse, tmp_path
):
    """The first run builds the incremental models from an earlier delivery (full refresh); the
    second, on every event, is incremental: it must overwrite the changed and new days only and
    end equal to the DuckDB job's full build of the same events."""
    from pyspark.sql import SparkSession

    working = spark_sources.sources_database(built_small_warehouse)
    earlier = tmp_path / "earlier"
    spark_sources.export_sources(working, earlier)
    keep_part_of_the_events(Path(spark_sources.table_location(str(earlier), "raw", "events")))
    output = spark_dir / "dbt"

    def run_models(location: Path, *flags: str) -> Table:
        spark_sources.register_sources(
            str(location), project_dir=paths.DBT_PROJECT_DIR, output_dir=output
        )
        run = run_dbt(
            ["run", "--target", "spark", "--select", *INCREMENTAL, *flags],
            paths.DBT_PROJECT_DIR,
            output,
        )
        assert run.success, run.log
        return read_spark_table(f"intermediate.{EVENT_DAYS}")

    first = run_models(earlier, "--full-refresh")
    # spark_build's export of every event, registered again (later tests read it too)
    second = run_models(spark_dir / "sources")
    for model in INCREMENTAL:
        compiled = next((output / "target" / "run").rglob(f"{model}.sql")).read_text().lower()
        assert "insert overwrite" in compiled, compiled

    full = read_duckdb_table(working, f"intermediate.{EVENT_DAYS}")
    day = full.columns.index("event_date")
    assert {row[day] for row in first.rows} < {row[day] for row in full.rows}
    assert sorted(first.rows) != sorted(full.rows)  # the first run really lacked events
    found = differences(full, second)
    assert not found, f"{EVENT_DAYS} after two Spark runs differs from a full build:\n" + "\n".join(
        found
    )
    spark = SparkSession.builder.getOrCreate()
    with duckdb.connect(str(working), read_only=True) as con:
        for sql in (FIRSTS, WINDOWS):
            on_duckdb = set(con.execute(sql.format(micros="epoch_us")).fetchall())
            on_spark = {tuple(r) for r in spark.sql(sql.format(micros="unix_micros")).collect()}
            assert on_duckdb, sql  # the fixture has rows to compare
            assert on_spark == on_duckdb, sql
