"""The engine macros (dbt_models/macros/engine.sql) give the same answers on DuckDB and on Spark.

One query calls every macro on edge cases (negative and sub-second durations, a time before
1970, division by zero, malformed JSON, a backslash and a quote in a pattern); dbt compiles it
for each target and each engine runs its own SQL. Both must equal the values worked out by hand.
"""

import math

import duckdb
import pytest

from dagster_project import paths
from tests.spark.compare import same_value
from tests.spark.conftest import run_dbt

pytestmark = pytest.mark.spark

QUERY = r"""
with cases as (
    select
        1 as case_id,
        cast('2026-01-01 00:00:00' as timestamp) as start_at,
        cast('2026-01-02 12:00:00.000001' as timestamp) as end_at,
        '{"plan": "pro", "seats": 5, "trial": true, "owner": {"id": "u1"}, "tags": ["a", "b"]}'
            as payload,
        'acct-0042 / EMEA' as label,
        -7 as numerator,
        2 as denominator
    union all
    select 2, cast('2026-03-01 10:00:00' as timestamp), cast('2026-02-27 22:00:00' as timestamp),
        'not json', 'ACCT 42', 7, 0
    union all
    select 3, cast('1969-12-31 23:59:59.5' as timestamp), null, '{"plan": null}', null, null, 3
)

select
    case_id,
    {{ days_between('start_at', 'end_at') }} as days,
    {{ epoch_seconds('start_at') }} as start_epoch_seconds,
    {{ day_number('start_at') }} as start_day_number,
    {{ ratio('numerator', 'denominator') }} as ratio,
    {{ integer_divide('numerator', 'denominator') }} as quotient,
    {{ json_field('payload', '$.plan') }} as plan,
    {{ json_field('payload', '$.seats') }} as seats,
    {{ json_field('payload', '$.trial') }} as trial,
    {{ json_field('payload', '$.owner') }} as owner,
    {{ json_field('payload', '$.owner.id') }} as owner_id,
    {{ json_field('payload', '$.tags[1]') }} as second_tag,
    {{ json_field('payload', '$.missing') }} as missing,
    {{ regex_matches('label', '^acct-\\d{4}\\b') }} as is_account_label,
    {{ regex_replace_all('label', '\\d', "#'") }} as masked_label
from cases
order by case_id
"""

# 2026-01-01 is day 20454 after 1970-01-01; 2026-03-01 is 31 + 28 days later.
EXPECTED = [
    (1, 1.5 + 1e-6 / 86400, 20454 * 86400.0, 20454, -3.5, -3, "pro", "5", "true", '{"id":"u1"}',
     "u1", "b", None, True, "acct-#'#'#'#' / EMEA"),
    (2, -1.5, 20513 * 86400.0 + 10 * 3600, 20513, None, None, None, None, None, None, None, None,
     None, False, "ACCT #'#'"),
    (3, None, -0.5, -1, None, None, None, None, None, None, None, None, None, None, None),
]


def compile_for(target: str, tmp_path) -> str:
    run = run_dbt(["compile", "--target", target, "--inline", QUERY], paths.DBT_PROJECT_DIR,
                  tmp_path / target)
    assert run.success, run.log
    return run.results[0].node.compiled_code


def assert_rows(engine: str, rows: list[tuple]) -> None:
    assert len(rows) == len(EXPECTED), (engine, rows)
    for row, expected in zip(rows, EXPECTED):
        wrong = [(i, got, want) for i, (got, want) in enumerate(zip(row, expected))
                 if not same_value(got, want) or (got is None) != (want is None)]
        assert not wrong, f"{engine}, case {expected[0]}: (column, got, expected) {wrong}"


def test_macros_on_duckdb(tmp_path, monkeypatch):
    monkeypatch.setenv("TTV_WAREHOUSE", str(tmp_path / "macros.duckdb"))
    sql = compile_for("duckdb", tmp_path)
    with duckdb.connect() as con:
        con.execute("set TimeZone = 'UTC'")
        assert_rows("duckdb", con.execute(sql).fetchall())


def test_macros_on_spark(spark_build, tmp_path):
    from pyspark.sql import SparkSession

    sql = compile_for("spark", tmp_path)
    rows = [tuple(row) for row in SparkSession.builder.getOrCreate().sql(sql).collect()]
    assert_rows("spark", rows)
    assert not math.isinf(rows[1][4] or 0.0)
