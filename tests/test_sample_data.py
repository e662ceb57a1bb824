"""The sample-data generator: reproducible bytes, the SPEC §3 layout, deliberate bad rows."""

import csv
import hashlib
from datetime import date
from pathlib import Path

import duckdb
import pytest

from sample_data.generate import generate_landing

SMALL = {"accounts": 60, "events_per_account": 40, "seed": 11, "end_date": date(2026, 6, 1)}

SPEC_COLUMNS = {
    "crm/accounts.csv": [
        "account_id",
        "account_name",
        "segment",
        "industry",
        "plan_tier",
        "sales_channel",
        "csm_owner",
        "region",
        "created_at",
        "churned_at",
        "churn_reason",
    ],
    "crm/contracts.csv": [
        "contract_id",
        "account_id",
        "contract_type",
        "signed_at",
        "start_date",
        "end_date",
        "arr",
    ],
    "crm/onboarding.csv": [
        "account_id",
        "kickoff_at",
        "access_provisioned_at",
        "configuration_completed_at",
        "data_migrated_at",
        "training_completed_at",
        "first_production_use_at",
        "value_confirmed_at",
        "full_value_at",
        "pre_onboarding",
        "configuration_approach",
        "touch_model",
        "onboarding_variant",
        "integrations",
    ],
}
EVENT_COLUMNS = ["event_id", "account_id", "user_id", "event_name", "occurred_at", "properties"]


def _hashes(root: Path) -> dict[str, str]:
    return {
        p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def _reader(path: Path) -> str:
    name = path.name
    if name.endswith(".csv"):
        return f"read_csv('{path}', all_varchar = true)"
    if name.endswith(".parquet"):
        return f"read_parquet('{path}')"
    return f"read_json('{path}', format = 'newline_delimited')"


@pytest.fixture(scope="module")
def landing(tmp_path_factory) -> tuple[Path, dict]:
    out = tmp_path_factory.mktemp("landing")
    return out, generate_landing(out, **SMALL)


@pytest.fixture(scope="module")
def con(landing):
    root, _ = landing
    con = duckdb.connect()
    con.execute("set TimeZone = 'UTC'")
    for name in ("accounts", "contracts", "onboarding"):
        con.execute(
            f"create table {name} as select * from "
            f"read_csv('{root / 'crm' / (name + '.csv')}', all_varchar = true)"
        )
    parts = []
    for path in sorted((root / "product" / "events").iterdir()):
        cols = [r[0] for r in con.execute(f"describe select * from {_reader(path)}").fetchall()]
        assert cols == EVENT_COLUMNS, path.name
        parts.append(
            f"select event_id, account_id, occurred_at::varchar as occurred_at, "
            f"'{path.name}' as file from {_reader(path)}"
        )
    con.execute("create table events as " + " union all ".join(parts))
    yield con
    con.close()


def test_same_arguments_give_identical_bytes(landing, tmp_path):
    root, counts = landing
    again = generate_landing(tmp_path, **SMALL)
    assert again == counts
    assert _hashes(tmp_path) == _hashes(root)


def test_a_different_seed_gives_different_data(landing, tmp_path):
    root, _ = landing
    generate_landing(tmp_path, **{**SMALL, "seed": SMALL["seed"] + 1})
    assert _hashes(tmp_path)["crm/accounts.csv"] != _hashes(root)["crm/accounts.csv"]


def test_crm_headers_are_exactly_the_spec_columns(landing):
    root, _ = landing
    for rel, columns in SPEC_COLUMNS.items():
        with open(root / rel, newline="", encoding="utf-8") as f:
            assert next(csv.reader(f)) == columns, rel


def test_event_files_one_per_month_in_all_four_formats(landing):
    root, counts = landing
    files = sorted(p.name for p in (root / "product" / "events").iterdir())
    months = [name[len("events_") : len("events_yyyy_mm")] for name in files]
    assert len(months) == len(set(months)) == counts["event_files"]
    formats = {name.split(".", 1)[1] for name in files}
    assert formats == {"csv", "jsonl", "jsonl.gz", "parquet"}


def test_counts_match_the_files(con, landing):
    _, counts = landing
    assert con.execute("select count(*) from accounts").fetchone()[0] == counts["accounts"]
    assert con.execute("select count(*) from contracts").fetchone()[0] == counts["contracts"]
    assert con.execute("select count(*) from onboarding").fetchone()[0] == counts["onboarding"]
    assert con.execute("select count(*) from events").fetchone()[0] == counts["events"]


def test_crm_account_ids_exist_and_keys_are_unique(con):
    for table, key in (
        ("accounts", "account_id"),
        ("contracts", "contract_id"),
        ("onboarding", "account_id"),
    ):
        repeats = f"select count(*) - count(distinct {key}) from {table}"
        assert con.execute(repeats).fetchone()[0] == 0, table
    for table in ("contracts", "onboarding"):
        orphans = (
            f"select count(*) from {table} "
            "where account_id not in (select account_id from accounts)"
        )
        assert con.execute(orphans).fetchone()[0] == 0, table


def test_deliberate_bad_rows_are_there(con, landing):
    _, counts = landing
    duplicates = con.execute("select count(*) - count(distinct event_id) from events").fetchone()[0]
    across_files = con.execute(
        "select count(*) from (select event_id from events group by 1 "
        "having count(distinct file) > 1)"
    ).fetchone()[0]
    within_file = con.execute(
        "select count(*) from (select event_id, file from events group by all having count(*) > 1)"
    ).fetchone()[0]
    unknown = con.execute(
        "select count(*) from events where account_id not in (select account_id from accounts)"
    ).fetchone()[0]
    bad_ts = con.execute(
        "select count(*) from events where try_cast(occurred_at as timestamptz) is null"
    ).fetchone()[0]
    bad_signed = con.execute(
        "select count(*) from contracts where try_cast(signed_at as timestamptz) is null"
    ).fetchone()[0]
    assert duplicates == counts["duplicate_event_rows"] >= 3
    assert across_files == counts["cross_file_duplicates"] >= 1
    assert within_file == counts["within_file_duplicates"] >= 1
    assert unknown == counts["unknown_account_events"] >= 1
    assert bad_ts == counts["bad_timestamps"] >= 1
    assert bad_signed == 1


def test_nothing_dated_after_end_date(con):
    end = SMALL["end_date"].isoformat()
    late = con.execute(
        "select count(*) from events where try_cast(occurred_at as timestamptz) "
        f">= timestamptz '{end} 00:00:00+00'"
    ).fetchone()[0]
    assert late == 0
    for table, column in (
        ("contracts", "signed_at"),
        ("accounts", "churned_at"),
        ("onboarding", "value_confirmed_at"),
        ("onboarding", "kickoff_at"),
    ):
        late = con.execute(
            f"select count(*) from {table} where try_cast({column} as timestamptz) "
            f">= timestamptz '{end} 00:00:00+00'"
        ).fetchone()[0]
        assert late == 0, (table, column)


def test_the_runtime_package_imports_neither_the_generator_nor_numpy():
    # the generator and numpy (the [sample] extra) are tools, not the warehouse's dependencies
    import re

    import dagster_project

    package = Path(dagster_project.__file__).parent
    imports = re.compile(r"^\s*(from|import)\s+(sample_data|numpy)\b", re.M)
    assert [p.name for p in sorted(package.rglob("*.py")) if imports.search(p.read_text())] == []
