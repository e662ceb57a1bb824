"""The plain functions behind write-audit-publish, on small hand-made DuckDB files:
lib/publish.py (copy and rename), the publication gate, lib/dbt_failures.py (test examples)."""

from pathlib import Path

import dagster as dg
import duckdb
import pytest

from dagster_project import paths
from dagster_project.defs.publish.assets import REQUIRED_CHECKS, audit_problems
from dagster_project.lib import dbt_failures, publish


def working_file(path: Path, with_marts: bool = True) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with duckdb.connect(str(path)) as con:
        for schema in ("raw", "staging", "marts", "quarantine", "config"):
            con.execute(f"create schema {schema}")
        con.execute("create table raw.events as select range as n from range(1000)")
        con.execute("create table raw.landed_files as select 'events' as source, 'a.csv' as file")
        con.execute("create view staging.stg_events as select * from raw.events")
        con.execute("create table quarantine.rejected_rows as select 'bad' as reason")
        con.execute("create table config.segments as select 'SMB' as segment")
        if with_marts:
            con.execute(
                "create table marts.account_ttv as "
                "select 'a' || range as account_id, range as ttv_days from range(3)"
            )
    return path


def test_publish_copies_the_analyst_tables_and_renames_the_new_file_into_place(tmp_path):
    published = tmp_path / "warehouse.duckdb"
    working = working_file(paths.working_warehouse_path(published))
    stale = paths.build_dir(published) / "publishing-left-by-a-killed-run.duckdb"
    stale.write_bytes(b"half a file")

    done = publish.publish(working, published)

    assert done.tables == {
        "config.segments": 1,
        "marts.account_ttv": 3,
        "quarantine.rejected_rows": 1,
        "raw.landed_files": 1,
    }
    with duckdb.connect(str(published), read_only=True) as con:
        tables = con.execute(
            "select schema_name || '.' || table_name from duckdb_tables() order by 1"
        ).fetchall()
        assert [t for (t,) in tables] == sorted(done.tables)  # no raw.events, no staging
        assert con.execute("select * from marts.account_ttv order by account_id").fetchall() == [
            ("a0", 0),
            ("a1", 1),
            ("a2", 2),
        ]
    assert not stale.exists()
    assert sorted(p.name for p in paths.build_dir(published).iterdir()) == [
        "publish.lock",
        published.name,
    ]


def test_nothing_is_published_from_a_working_file_without_marts(tmp_path):
    published = tmp_path / "warehouse.duckdb"
    published.write_bytes(b"the previous warehouse")
    working = working_file(paths.working_warehouse_path(published), with_marts=False)

    with pytest.raises(LookupError, match="no marts tables"):
        publish.publish(working, published)

    assert published.read_bytes() == b"the previous warehouse"
    assert not list(paths.build_dir(published).glob("publishing-*"))


def evaluation(check: dg.AssetCheckKey, passed: bool, severity=dg.AssetCheckSeverity.ERROR):
    return dg.AssetCheckEvaluation(
        asset_key=check.asset_key, check_name=check.name, passed=passed, severity=severity
    )


def test_publication_needs_a_complete_build_audited_in_the_same_run():
    built = {"as_of": "2026-06-01", "run_id": "r1", "built_at": "2026-06-01T06:10:00Z"}
    passing = [evaluation(k, True) for k in REQUIRED_CHECKS]
    assert audit_problems(passing, built) == []

    warned = [evaluation(k, False, dg.AssetCheckSeverity.WARN) for k in REQUIRED_CHECKS]
    assert audit_problems(warned, built) == []

    first, *rest = sorted(REQUIRED_CHECKS, key=lambda k: k.to_user_string())
    problems = audit_problems(
        [evaluation(first, False)] + [evaluation(k, True) for k in rest], built
    )
    assert problems == [f"blocking checks failed: {first.asset_key.to_user_string()}:{first.name}"]

    problems = audit_problems(passing[1:], None)
    assert problems[0].startswith("the working file is not a complete build")
    assert problems[1].startswith("not audited in this run: ")


def test_a_failing_dbt_test_is_explained_with_example_keys(tmp_path):
    """The rows dbt kept (store_failures) in schema test_failures, shown by the model's key
    (account_ttv's grain is its GX suite's meta.row_key: account_id) and the tested column."""
    database = tmp_path / "work.duckdb"
    with duckdb.connect(str(database)) as con:
        con.execute("create schema test_failures")
        con.execute(
            "create table test_failures.account_ttv_days_onboarding_not_negative as "
            "select * from (values ('A07', 'PLG', -1.5), ('A05', 'SMB', -5.0)) "
            "t(account_id, segment, days_onboarding)"
        )
    unique_id = "test.ttv_warehouse.account_ttv_days_onboarding_not_negative.1a2b"
    run_results = {
        "results": [
            {"unique_id": unique_id, "status": "fail", "failures": 2},
            {
                "unique_id": "test.ttv_warehouse.broken.3c4d",
                "status": "error",
                "failures": None,
                "message": "Binder Error: column x not found\nLINE 1: ...",
            },
            {"unique_id": "test.ttv_warehouse.fine.5e6f", "status": "pass", "failures": 0},
        ]
    }
    manifest = {
        "nodes": {
            unique_id: {
                "name": "account_ttv_days_onboarding_not_negative",
                "schema": "test_failures",
                "alias": "account_ttv_days_onboarding_not_negative",
                "column_name": "days_onboarding",
                "attached_node": "model.ttv_warehouse.account_ttv",
                "test_metadata": {"name": "not_negative"},
            },
            "model.ttv_warehouse.account_ttv": {"name": "account_ttv"},
        }
    }

    explained = dbt_failures.explain(run_results, database, manifest)

    assert set(explained) == {unique_id, "test.ttv_warehouse.broken.3c4d"}
    failure = explained[unique_id]
    assert failure.examples == [
        {"account_id": "A05", "days_onboarding": -5.0},
        {"account_id": "A07", "days_onboarding": -1.5},
    ]
    assert failure.message == (
        "dbt test account_ttv_days_onboarding_not_negative: 2 rows failing, e.g. "
        "[{'account_id': 'A05', 'days_onboarding': -5.0}, "
        "{'account_id': 'A07', 'days_onboarding': -1.5}]"
    )
    assert explained["test.ttv_warehouse.broken.3c4d"].message == (
        "dbt test broken could not run: Binder Error: column x not found"
    )
