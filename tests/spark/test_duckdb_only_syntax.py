"""The Spark build is the guard against DuckDB-only SQL in a model: show it catching one.

A copy of the dbt project gets the mistake the dispatch macros exist to prevent: journey_steps
computes its duration with DuckDB's `epoch_us` instead of `days_between`. DuckDB still builds it;
the Spark build fails, naming the model. (dbt build runs the model's unit test first, on Spark
too, so that is the first node to fail; the model is then skipped.)
"""

import shutil

import pytest

from dagster_project.lib import spark_sources
from tests.spark.conftest import build_args, run_dbt

pytestmark = pytest.mark.spark

MODEL = "journey_steps"
MACRO_CALL = "{{ days_between('highs.started_at', 'highs.counted_at') }}"
DUCKDB_ONLY = (
    "(cast(epoch_us(highs.counted_at) - epoch_us(highs.started_at) as double) / 86400000000)"
)


@pytest.fixture
def project_with_duckdb_only_sql(project_copy):
    model = project_copy / "models" / "marts" / f"{MODEL}.sql"
    sql = model.read_text()
    assert MACRO_CALL in sql, f"{model.name} no longer calls days_between: update this test"
    model.write_text(sql.replace(MACRO_CALL, DUCKDB_ONLY))
    return project_copy


def test_duckdb_still_builds_the_changed_model(
    project_with_duckdb_only_sql, built_small_warehouse, tmp_path, monkeypatch
):
    # the run's working file, where the model's parents are; same name, same DuckDB catalog
    working = spark_sources.sources_database(built_small_warehouse)
    warehouse = tmp_path / working.name
    shutil.copyfile(working, warehouse)
    monkeypatch.setenv("TTV_WORKING_WAREHOUSE", str(warehouse))
    run = run_dbt(
        [*build_args("duckdb"), "--select", MODEL], project_with_duckdb_only_sql, tmp_path
    )
    assert run.success, run.log


def test_spark_build_fails_naming_the_model(project_with_duckdb_only_sql, spark_build, tmp_path):
    # spark_build has built every parent of the model in this session's metastore.
    run = run_dbt([*build_args("spark"), "--select", MODEL], project_with_duckdb_only_sql, tmp_path)
    assert not run.success, "Spark accepted DuckDB-only SQL:\n" + run.log
    statuses = {r.node.unique_id: str(r.status) for r in run.results}
    errors = [r for r in run.results if str(r.status) == "error"]
    # model.ttv_warehouse.journey_steps, unit_test.ttv_warehouse.journey_steps.<test>: only the
    # changed model and its own unit test fail, on the DuckDB-only function
    assert errors and all(r.node.unique_id.split(".")[2] == MODEL for r in errors), statuses
    assert all("epoch_us" in r.message for r in errors), [r.message for r in errors]
    assert statuses[f"model.ttv_warehouse.{MODEL}"] in ("error", "skipped"), statuses
    assert f"{MODEL}" in run.log and "UNRESOLVED_ROUTINE" in run.log, run.log
