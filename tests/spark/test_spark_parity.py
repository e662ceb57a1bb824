"""SPEC §8: the same dbt models, unchanged, give the same marts on Spark as on DuckDB.

The DuckDB side is the real daily job on the hand-made landing zone (tests/test_end_to_end.py
checks its numbers by hand); the Spark side is `dbt build --target spark` on the sources the same
ingest loaded. Every mart is compared row by row.
"""

import pytest

from tests.spark.compare import differences, read_duckdb_table
from tests.spark.conftest import MART_TABLES

pytestmark = pytest.mark.spark


def test_spark_build_passes_every_model_and_test(spark_build):
    failed = [f"{r.node.name}: {r.status}" for r in spark_build.run.results
              if str(r.status) not in ("success", "pass", "warn")]
    assert not failed, "\n".join(failed)
    assert len(spark_build.run.results) > len(MART_TABLES)


@pytest.mark.parametrize("table", MART_TABLES)
def test_mart_is_the_same_on_spark_as_on_duckdb(table, built_small_warehouse, spark_build):
    duckdb_rows = read_duckdb_table(built_small_warehouse, f"marts.{table}")
    spark_rows = spark_build.marts[table]
    assert duckdb_rows.rows, f"marts.{table} is empty on DuckDB: nothing would be compared"
    found = differences(duckdb_rows, spark_rows)
    assert not found, f"marts.{table} differs between DuckDB and Spark:\n" + "\n".join(found)
