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
        2 as denominator,
        cast(0.0 as double) as erfc_x
    union all
    select 2, cast('2026-03-01 10:00:00' as timestamp), cast('2026-02-27 22:00:00' as timestamp),
        'not json', 'ACCT 42', 7, 0, 1.3859038243496777
    union all
    select 3, cast('1969-12-31 23:59:59.5' as timestamp), null, '{"plan": null}', null, null, 3,
        -1.0
    union all
    select 4, null, null, null, null, null, null, null
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
    {{ regex_replace_all('label', '\\d', "#'") }} as masked_label,
    {{ erfc('erfc_x') }} as erfc_value
from cases
order by case_id
"""

# 2026-01-01 is day 20454 after 1970-01-01; 2026-03-01 is 31 + 28 days later.
# erfc (the log-rank p-value, SPEC §9.5): erfc(0) = 1 exactly; 1.3859038243496777 is
# sqrt(3.841458820694124 / 2), the square root of half the 5% critical value of a chi-square with
# one degree of freedom, so erfc of it is the tail 0.05; erfc(-1) = 2 - erfc(1) =
# 2 - 0.157299207050285 (Abramowitz and Stegun, table 7.1) = 1.842700792949715.
# The fit's relative error is below 1.2e-7: ERFC_TOL.
ERFC_TOL = 1.2e-7
EXPECTED = [
    (
        1,
        1.5 + 1e-6 / 86400,
        20454 * 86400.0,
        20454,
        -3.5,
        -3,
        "pro",
        "5",
        "true",
        '{"id":"u1"}',
        "u1",
        "b",
        None,
        True,
        "acct-#'#'#'#' / EMEA",
        1.0,
    ),
    (
        2,
        -1.5,
        20513 * 86400.0 + 10 * 3600,
        20513,
        None,
        None,
        None,
        None,
        None,
        None,
        None,
        None,
        None,
        False,
        "ACCT #'#'",
        0.05,
    ),
    (
        3,
        None,
        -0.5,
        -1,
        None,
        None,
        None,
        None,
        None,
        None,
        None,
        None,
        None,
        None,
        None,
        1.842700792949715,
    ),
    (4, None, None, None, None, None, None, None, None, None, None, None, None, None, None, None),
]


def compile_for(target: str, tmp_path) -> str:
    run = run_dbt(
        ["compile", "--target", target, "--inline", QUERY], paths.DBT_PROJECT_DIR, tmp_path / target
    )
    assert run.success, run.log
    return run.results[0].node.compiled_code


def assert_rows(engine: str, rows: list[tuple]) -> None:
    assert len(rows) == len(EXPECTED), (engine, rows)
    for row, expected in zip(rows, EXPECTED, strict=False):
        *row, erfc_got = row
        *expected, erfc_want = expected
        wrong = [
            (i, got, want)
            for i, (got, want) in enumerate(zip(row, expected, strict=False))
            if not same_value(got, want) or (got is None) != (want is None)
        ]
        if (erfc_got is None) != (erfc_want is None) or (
            erfc_want is not None and not math.isclose(erfc_got, erfc_want, rel_tol=ERFC_TOL)
        ):
            wrong.append(("erfc", erfc_got, erfc_want))
        assert not wrong, f"{engine}, case {expected[0]}: (column, got, expected) {wrong}"


def test_macros_on_duckdb(tmp_path, monkeypatch):
    monkeypatch.setenv("TTV_WORKING_WAREHOUSE", str(tmp_path / "macros.duckdb"))
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


def test_erfc_fit_is_within_its_documented_error():
    """The fit engine.sql's erfc compiles to, against Python's erfc on a grid (no engine)."""
    coefficients = [
        1.00002368,
        0.37409196,
        0.09678418,
        -0.18628806,
        0.27886807,
        -1.13520398,
        1.48851587,
        -0.82215223,
        0.17087277,
    ]

    def fitted(x: float) -> float:
        z = abs(x)
        t = 1 / (1 + 0.5 * z)
        poly = 0.0
        for c in reversed(coefficients):
            poly = c + t * poly
        value = t * math.exp(-z * z - 1.26551223 + t * poly)
        return value if x >= 0 else 2 - value

    for i in range(-400, 601):
        x = i / 100
        assert math.isclose(fitted(x), math.erfc(x), rel_tol=ERFC_TOL), x
