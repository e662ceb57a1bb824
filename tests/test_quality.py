"""validate_table on small hand-built DuckDB files, with the committed suites in expectations/.

Every expected count below is worked out by hand from the rows inserted here. GX counts every row
that takes part in a duplicate as "not unique": one repeated event_id makes 2 unexpected rows.
"""

import json
import logging
from pathlib import Path

import duckdb
import pytest

from dagster_project.lib.quality import (
    SuiteOutcome,
    SuiteRunError,
    load_suite,
    validate_table,
)
from dagster_project.paths import EXPECTATIONS_DIR

RAW_EVENTS = EXPECTATIONS_DIR / "raw_events.json"
ACCOUNT_TTV = EXPECTATIONS_DIR / "account_ttv.json"

EVENTS_DDL = """
create schema raw;
create table raw.events (
    event_id varchar, account_id varchar, user_id varchar, event_name varchar,
    occurred_at timestamp, properties varchar, _file varchar, _line bigint
)
"""
GOOD_EVENTS = [
    ("e1", "a1", "u1", "login", "2026-01-05 09:00:00", "{}", "events.csv", 2),
    ("e2", "a1", "u1", "report_created", "2026-01-06 10:00:00", "{}", "events.csv", 3),
    ("e3", "a2", "u2", "login", "2026-01-07 11:00:00", None, "events.csv", 4),
    ("e4", "a2", None, "invite_sent", "2026-01-08 12:00:00", None, "events.csv", 5),
    ("e5", "a3", "u3", "login", "2026-01-09 13:00:00", "{}", "events.csv", 6),
]
# The same five rows but: e3 re-delivered as a second 'e2', and e5 with no account.
BAD_EVENTS = [
    ("e1", "a1", "u1", "login", "2026-01-05 09:00:00", "{}", "events.csv", 2),
    ("e2", "a1", "u1", "report_created", "2026-01-06 10:00:00", "{}", "events.csv", 3),
    ("e2", "a2", "u2", "login", "2026-01-07 11:00:00", None, "events.csv", 4),
    ("e4", "a2", None, "invite_sent", "2026-01-08 12:00:00", None, "events.csv", 5),
    ("e5", None, "u3", "login", "2026-01-09 13:00:00", "{}", "events.csv", 6),
]

TTV_DDL = """
create schema marts;
create table marts.account_ttv (
    account_id varchar, segment varchar, industry varchar, plan_tier varchar,
    sales_channel varchar, csm_owner varchar, start_at timestamp, cohort_month date,
    cohort_quarter varchar, first_value_at timestamp, ttfv_days double, value_at timestamp,
    ttv_days double, full_value_at timestamp, time_to_full_value_days double, ttv_band varchar,
    value_status varchar, days_onboarding double, onboarding_progress double,
    renewal_outcome varchar, first_term_arr decimal(18, 2), data_issue varchar, as_of_date date,
    ttv_quartile integer
);
create schema raw;
create table raw.accounts (account_id varchar, created_at timestamp);
create schema config;
create table config.segments (segment varchar, is_default boolean);
insert into config.segments values ('Enterprise', false), ('Mid-Market', false), ('SMB', false),
    ('PLG', false), ('*', true);
"""
# The CRM accounts beside the mart: a1-a4 are in it; a5 (created before as-of) is missing from
# the bad mart; a6 was created after the as-of date and belongs in no mart.
CRM_ACCOUNTS = [
    ("a1", "2025-12-01"),
    ("a2", "2026-01-15"),
    ("a3", "2026-02-01"),
    ("a4", "2026-01-10"),
    ("a6", "2026-07-01"),
]
# (account_id, segment, start_at, ttfv_days, ttv_days, ttv_band, value_status, days_onboarding,
#  onboarding_progress, renewal_outcome)
GOOD_TTV = [
    ("a1", "Enterprise", "2026-01-01", 3.0, 12.5, "<30", "achieved", 12.5, 1.0, "renewed"),
    ("a2", "SMB", "2026-02-01", None, None, "not_reached", "in_progress", 40.0, 0.5, "pending"),
    # ttv_band `data_issue`: the value date is not trusted (SPEC §4.1: never NULL).
    ("a3", "PLG", "2026-03-01", 0.0, None, "data_issue", "overdue", 0.0, 0.0, "unknown"),
    ("a4", "Mid-Market", "2026-01-15", 20.0, 95.0, ">90", "achieved", 95.0, None, "churned"),
]
BAD_TTV = [
    ("a1", "Enterprise", "2026-01-01", 3.0, 12.5, "<30", "achieved", 12.5, 1.0, "renewed"),
    ("a2", "Startup", "2026-02-01", None, None, "not_reached", "in_progress", 40.0, 1.5, "pending"),
    ("a3", "PLG", None, -2.0, -2.0, "<30", "done", 0.0, 0.0, "unknown"),
    ("a3", "Mid-Market", "2026-01-15", 20.0, 95.0, "90+", "achieved", 95.0, -0.25, "lost"),
]


def make_db(path: Path, ddl: str, table: str, rows: list[tuple]) -> Path:
    with duckdb.connect(str(path)) as con:
        con.execute(ddl)
        placeholders = ", ".join("?" * len(rows[0]))
        con.executemany(f"insert into {table} values ({placeholders})", rows)
    return path


def events_db(tmp_path: Path, rows: list[tuple]) -> Path:
    return make_db(tmp_path / "events.duckdb", EVENTS_DDL, "raw.events", rows)


def ttv_db(tmp_path: Path, rows: list[tuple], crm=CRM_ACCOUNTS) -> Path:
    full_rows = [
        (
            acc,
            seg,
            "Software",
            "pro",
            "direct",
            "csm1",
            start,
            None,
            None,
            None,
            ttfv,
            None,
            ttv,
            None,
            None,
            band,
            status,
            days,
            progress,
            renewal,
            1000,
            None,
            "2026-06-01",
            None if ttv is None else 1,
        )  # SPEC §9.4: one account per segment ranks first
        for acc, seg, start, ttfv, ttv, band, status, days, progress, renewal in rows
    ]
    path = make_db(tmp_path / "ttv.duckdb", TTV_DDL, "marts.account_ttv", full_rows)
    with duckdb.connect(str(path)) as con:
        con.executemany("insert into raw.accounts values (?, ?)", crm)
    return path


def failures(outcome: SuiteOutcome) -> dict:
    """(expectation, column) -> (rows, examples); a SQL expectation is named by its description."""
    return {
        (o.expectation, o.column or o.description): (o.unexpected_count, o.examples)
        for o in outcome.outcomes
        if not o.success
    }


def assert_writable(database: Path) -> None:
    """validate_table closed its read-only connections: this process can take the write lock."""
    with duckdb.connect(str(database)) as con:
        con.execute("create table written_after_check as select 1 as x")


def test_clean_events_pass(tmp_path):
    database = events_db(tmp_path, GOOD_EVENTS)

    outcome = validate_table(database, "raw", "events", RAW_EVENTS)

    assert outcome.suite == "raw_events"
    assert outcome.table == "raw.events"
    assert outcome.rows == 5
    assert outcome.passed
    assert len(outcome.outcomes) == 7
    assert all(
        o.success and o.unexpected_count in (0, None if o.column else 0) for o in outcome.outcomes
    )
    assert all(o.severity == "error" for o in outcome.outcomes)
    assert "all 7 expectations passed" in outcome.summary()
    assert_writable(database)


def test_duplicate_and_null_account_fail(tmp_path):
    database = events_db(tmp_path, BAD_EVENTS)

    outcome = validate_table(database, "raw", "events", RAW_EVENTS)

    assert not outcome.passed
    assert outcome.rows == 5
    assert failures(outcome) == {
        # both rows carrying e2 count as not unique; the example is the value, once
        ("expect_column_values_to_be_unique", "event_id"): (2, ["e2"]),
        # a null value says nothing, so the example is the row key (suite meta.row_key)
        ("expect_column_values_to_not_be_null", "account_id"): (
            1,
            [{"_file": "events.csv", "_line": 6}],
        ),
    }
    messages = [o.message for o in outcome.outcomes if not o.success]
    assert messages == [
        # the value, and where the rows are (suite meta.row_key)
        (
            "raw.events.event_id: 2 rows not unique, e.g. ['e2'] "
            "at [{'_file': 'events.csv', '_line': 3}, {'_file': 'events.csv', '_line': 4}]"
        ),
        "raw.events.account_id: 1 row null, e.g. [{'_file': 'events.csv', '_line': 6}]",
    ]
    summary = outcome.summary()
    assert "FAILED, 2 of 7 expectations failed (2 error, 0 warn)" in summary
    assert "[error] raw.events.event_id: 2 rows not unique" in summary
    assert_writable(database)


def test_out_of_range_timestamp_fails(tmp_path):
    rows = list(GOOD_EVENTS)
    rows[0] = rows[0][:4] + ("1970-01-01 00:00:00",) + rows[0][5:]  # epoch placeholder
    rows[1] = rows[1][:4] + ("2100-01-02 00:00:00",) + rows[1][5:]
    database = events_db(tmp_path, rows)

    outcome = validate_table(database, "raw", "events", RAW_EVENTS)

    assert failures(outcome) == {
        ("expect_column_values_to_be_between", "occurred_at"): (
            2,
            ["1970-01-01 00:00:00", "2100-01-02 00:00:00"],
        ),
    }
    assert not outcome.passed


def test_warn_severity_failure_does_not_block(tmp_path):
    suite = json.loads(RAW_EVENTS.read_text())
    for expectation in suite["expectations"]:
        expectation["severity"] = "warning"  # GX's own field: reported, not blocking
    # and one expectation without a severity: GX's default "critical", an error (it passes)
    suite["expectations"].append(
        {"type": "expect_column_values_to_not_be_null", "kwargs": {"column": "_file"}}
    )
    suite_path = tmp_path / "warn_only.json"
    suite_path.write_text(json.dumps(suite))
    database = events_db(tmp_path, BAD_EVENTS)

    outcome = validate_table(database, "raw", "events", suite_path)

    assert outcome.passed
    assert len(failures(outcome)) == 2
    assert {o.severity for o in outcome.outcomes if not o.success} == {"warn"}
    assert outcome.outcomes[-1].severity == "error" and outcome.outcomes[-1].success
    assert "passed with warnings, 2 of 8 expectations failed (0 error, 2 warn)" in (
        outcome.summary()
    )


def test_account_ttv_clean_passes_with_nulls_allowed(tmp_path):
    database = ttv_db(tmp_path, GOOD_TTV)

    outcome = validate_table(database, "marts", "account_ttv", ACCOUNT_TTV)

    assert outcome.passed, outcome.summary()
    assert outcome.rows == 4
    # ttv_band not null added by SPEC §4.1; ttv_quartile's vocabulary and rule by SPEC §9.4
    assert len(outcome.outcomes) == 18
    assert failures(outcome) == {}


def test_account_ttv_failures(tmp_path):
    database = ttv_db(tmp_path, BAD_TTV, crm=CRM_ACCOUNTS + [("a5", "2026-05-01")])

    outcome = validate_table(database, "marts", "account_ttv", ACCOUNT_TTV)

    assert not outcome.passed
    assert failures(outcome) == {
        ("expect_column_values_to_be_unique", "account_id"): (2, ["a3"]),
        ("expect_column_values_to_not_be_null", "start_at"): (1, ["a3"]),
        (
            "unexpected_rows_expectation",
            "with a segment the catalogue (config.segments) does not list",
        ): (1, [{"account_id": "a2", "segment": "Startup"}]),
        ("expect_column_values_to_be_in_set", "ttv_band"): (1, ["90+"]),
        ("expect_column_values_to_be_in_set", "value_status"): (1, ["done"]),
        ("expect_column_values_to_be_in_set", "renewal_outcome"): (1, ["lost"]),
        ("expect_column_values_to_be_between", "ttv_days"): (1, [-2.0]),
        ("expect_column_values_to_be_between", "ttfv_days"): (1, [-2.0]),
        ("expect_column_values_to_be_between", "onboarding_progress"): (2, [1.5, -0.25]),
        # a4 is not in the bad mart, nor a5; a6 was created after the as-of date
        (
            "unexpected_rows_expectation",
            "(CRM accounts created by the as-of date) missing from account_ttv",
        ): (2, ["a4", "a5"]),
    }
    by_column = {(o.expectation, o.column): o.message for o in outcome.outcomes}
    assert by_column[("expect_column_values_to_be_in_set", "ttv_band")] == (
        "marts.account_ttv.ttv_band: 1 row not in ['<30', '30-60', '60-90', '>90', 'not_reached', "
        "'data_issue'], e.g. ['90+'] at account_id ['a3']"
    )
    assert by_column[("expect_column_values_to_be_between", "onboarding_progress")] == (
        "marts.account_ttv.onboarding_progress: 2 rows outside [0, 1], e.g. [1.5, -0.25] "
        "at account_id ['a2', 'a3']"
    )
    assert by_column[("expect_column_values_to_be_between", "ttv_days")] == (
        "marts.account_ttv.ttv_days: 1 row below 0, e.g. [-2.0] at account_id ['a3']"
    )
    segment = next(o for o in outcome.outcomes if "segment the catalogue" in o.message)
    assert segment.message == (
        "marts.account_ttv: 1 row with a segment the catalogue (config.segments) does not list, "
        "e.g. [{'account_id': 'a2', 'segment': 'Startup'}]"
    )
    assert segment.why.startswith("dashboards and targets are per segment")
    assert_writable(database)


def test_a_value_before_the_start_is_reported_as_a_warning_unless_computed(tmp_path):
    database = ttv_db(tmp_path, GOOD_TTV)
    with duckdb.connect(str(database)) as con:
        # a1: flagged as the models do (duration NULL) -> warn; a4: computed anyway -> error
        con.execute(
            "update marts.account_ttv set value_at = start_at - interval 2 day, "
            "ttv_days = null, data_issue = 'value_before_start' where account_id = 'a1'"
        )
        con.execute(
            "update marts.account_ttv set value_at = start_at - interval 3 day, "
            "ttv_days = -3 where account_id = 'a4'"
        )

    outcome = validate_table(database, "marts", "account_ttv", ACCOUNT_TTV)

    failed = {o.message.split(", e.g.")[0]: (o.severity, o.examples) for o in outcome.failures}
    assert failed[
        "marts.account_ttv: 1 row flagged with a data_issue (value dated before the "
        "start of the clock: kept, duration NULL, left out of the medians)"
    ] == ("warn", [{"account_id": "a1", "data_issue": "value_before_start"}])
    computed = failed[
        "marts.account_ttv: 1 row with a value dated before the start of the clock "
        "that was computed instead of flagged"
    ]
    assert computed[0] == "error" and computed[1][0]["account_id"] == "a4"
    assert not outcome.passed


def test_a_table_missing_a_required_column_fails_naming_it(tmp_path):
    database = tmp_path / "events.duckdb"
    with duckdb.connect(str(database)) as con:
        con.execute("create schema raw")
        con.execute(
            "create table raw.events as select 'e1' as event_id, 'a1' as account_id, "
            "'u1' as user_id, timestamp '2026-01-05' as occurred_at, '{}' as properties, "
            "'events.csv' as _file, 2 as _line"
        )

    outcome = validate_table(database, "raw", "events", RAW_EVENTS)

    assert not outcome.passed
    assert [o.message for o in outcome.failures] == [
        "raw.events: missing column(s) ['event_name']",
        "raw.events: column event_name missing, so expect_column_values_to_not_be_null cannot run",
    ]
    assert all(o.severity == "error" for o in outcome.failures)


def test_expectation_that_cannot_run_raises(tmp_path):
    suite_path = tmp_path / "bad_sql.json"
    suite_path.write_text(
        json.dumps(
            {
                "name": "bad_sql",
                "expectations": [
                    {
                        "type": "unexpected_rows_expectation",
                        "kwargs": {
                            "unexpected_rows_query": "select * from {batch} where no_such_col > 0"
                        },
                    },
                ],
            }
        )
    )
    database = events_db(tmp_path, GOOD_EVENTS)

    with pytest.raises(SuiteRunError, match="no_such_col"):
        validate_table(database, "raw", "events", suite_path)
    assert_writable(database)


def test_missing_table_raises(tmp_path):
    database = events_db(tmp_path, GOOD_EVENTS)
    with pytest.raises(LookupError, match="raw.nope does not exist"):
        validate_table(database, "raw", "nope", RAW_EVENTS)
    assert_writable(database)


@pytest.mark.parametrize(
    "expectation, error",
    [
        ({"type": "expect_column_values_to_be_uniqe", "kwargs": {"column": "a"}}, "not found"),
        ({"type": "expect_column_values_to_be_unique", "kwargs": {"colum": "a"}}, "colum"),
        (
            {
                "type": "expect_column_values_to_be_unique",
                "kwargs": {"column": "a"},
                "severity": "fatal",
            },
            "severity",
        ),
        # the former way, which GX would keep as mere meta: refused, naming GX's own fields
        (
            {
                "type": "expect_column_values_to_be_unique",
                "kwargs": {"column": "a"},
                "meta": {"severity": "warn", "why": "w"},
            },
            "meta.severity and meta.why are GX's own `severity`",
        ),
    ],
)
def test_load_suite_rejects_what_gx_would_silently_drop(tmp_path, expectation, error):
    suite_path = tmp_path / "suite.json"
    suite_path.write_text(json.dumps({"name": "s", "expectations": [expectation]}))
    with pytest.raises(ValueError, match=error):
        load_suite(suite_path)


@pytest.mark.parametrize(
    "suite_path", sorted(EXPECTATIONS_DIR.glob("*.json")), ids=lambda path: path.stem
)
def test_committed_suites_load_and_explain_themselves(suite_path):
    suite = load_suite(suite_path)
    assert suite.name == suite_path.stem
    assert suite.meta["table"].count(".") == 1  # the table it guards (schema.table)
    for expectation in suite.expectations:
        assert expectation.severity in ("critical", "warning")
        assert expectation.notes, f"{suite_path.name}: {expectation} has no notes"


# dbt's generic tests on a mart and the GX expectation that states the same fact of a column
SAME_FACT = {
    "unique": ("expect_column_values_to_be_unique", None),
    "not_null": ("expect_column_values_to_not_be_null", None),
    "accepted_values": ("expect_column_values_to_be_in_set", None),
    "not_negative": ("expect_column_values_to_be_between", (0, None)),
    "between_zero_and_one": ("expect_column_values_to_be_between", (0, 1)),
}


def test_each_fact_of_a_mart_is_checked_by_one_tool():
    """README, "Each fact checked once": a mart's column fact that its GX suite states is not a
    dbt test too, and a mart's grain is checked by its suite alone."""
    from dagster_project.lib.dbt_manifest import prepared_manifest

    manifest = json.loads(prepared_manifest().read_text())
    stated = {}  # (mart, expectation, column) -> (min, max) of the suite's range
    for suite_path in EXPECTATIONS_DIR.glob("*.json"):
        suite = json.loads(suite_path.read_text())
        schema, table = suite["meta"]["table"].split(".")
        for e in suite["expectations"]:
            kwargs = e["kwargs"]
            if schema == "marts" and "column" in kwargs:
                stated[(table, e["type"], kwargs["column"])] = (
                    kwargs.get("min_value"),
                    kwargs.get("max_value"),
                )
    twice = []
    for node in manifest["nodes"].values():
        if node["resource_type"] != "test" or not node.get("attached_node", "").startswith(
            "model.ttv_warehouse."
        ):
            continue
        model = manifest["nodes"][node["attached_node"]]
        if model["fqn"][1] != "marts":
            continue
        test = (node.get("test_metadata") or {}).get("name")
        assert test != "unique_combination", f"{node['name']}: the grain is its GX suite's"
        if test in SAME_FACT:
            expectation, bounds = SAME_FACT[test]
            found = stated.get((model["name"], expectation, node["column_name"]), "absent")
            if found != "absent" and (bounds is None or found == bounds):
                twice.append(node["name"])
    assert twice == []


def test_a_blocking_check_fails_its_step_with_the_reason_first(tmp_path, monkeypatch):
    """Issue 15: a failed run's page leads with the reason, not a stack trace. The real
    gx_raw_contracts check, run by Dagster on a working file with a repeated contract: the check
    is recorded as a failed evaluation, the step fails with the sentence (dg.Failure, logged as
    an error first) and the asset downstream is never materialized."""
    import dagster as dg

    from dagster_project import paths
    from dagster_project.defs.quality.checks import gx_checks

    monkeypatch.setenv("TTV_WAREHOUSE", str(tmp_path / "warehouse.duckdb"))
    working = paths.working_warehouse_path()
    working.parent.mkdir()
    with duckdb.connect(str(working)) as con:
        con.execute("create schema raw")
        con.execute(
            "create table raw.contracts as select * from (values "
            "('C1', 'A1', 'new_business', timestamp '2026-01-05', date '2026-01-05', "
            "date '2027-01-04', 1000.0), "
            "('C1', 'A2', 'new_business', timestamp '2026-02-01', date '2026-02-01', "
            "date '2027-01-31', 2000.0)) "
            "t(contract_id, account_id, contract_type, signed_at, start_date, end_date, arr)"
        )

    @dg.asset(key=["crm", "contracts"])
    def contracts() -> None:
        """Stands for the load: the table is already in the working file."""

    @dg.asset(deps=[contracts])
    def downstream() -> None:
        """Stands for the models and publication."""

    check = next(c for c in gx_checks if c.check_key.name == "gx_raw_contracts")
    job = dg.Definitions(
        assets=[contracts, downstream], asset_checks=[check], jobs=[dg.define_asset_job("j")]
    ).resolve_job_def("j")
    instance = dg.DagsterInstance.ephemeral()
    result = job.execute_in_process(instance=instance, raise_on_error=False)

    assert not result.success
    (evaluation,) = result.get_asset_check_evaluations()  # a check evaluation, recorded
    assert not evaluation.passed and evaluation.severity == dg.AssetCheckSeverity.ERROR
    reason = (
        "Not published: check crm/contracts:gx_raw_contracts failed: "
        "raw.contracts.contract_id: 2 rows not unique, e.g. ['C1']."
    )
    (run_failure,) = [
        e for e in result.all_events if e.event_type == dg.DagsterEventType.RUN_FAILURE
    ]
    step_failure = run_failure.event_specific_data.first_step_failure_event.step_failure_data
    assert step_failure.user_failure_data.description == reason
    assert step_failure.error.cls_name == "Failure"
    assert step_failure.error.message.strip().endswith(reason)
    logged = [
        entry.user_message
        for entry in instance.all_logs(result.run_id)
        if entry.level == logging.ERROR and not entry.is_dagster_event
    ]
    assert logged[0] == reason  # then Dagster's "Dependencies for step downstream failed"
    assert dg.AssetKey("downstream") not in {
        e.asset_key for e in result.get_asset_materialization_events()
    }
