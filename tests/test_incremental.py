"""Incremental, idempotent loads: every landed row accounted for, nothing loaded twice."""

import shutil
from pathlib import Path

import duckdb
import pytest

from dagster_project import paths
from dagster_project.lib import landing, sources
from tests.conftest import SMALL_LANDING

REGISTRY = sources.load_registry(paths.SOURCES_FILE)
TABLES = (
    "raw.accounts",
    "raw.contracts",
    "raw.onboarding",
    "raw.events",
    "raw.events_duplicates",
    "quarantine.rejected_rows",
)
EVENTS_HEADER = "event_id,account_id,user_id,event_name,occurred_at,properties\n"


@pytest.fixture
def zone(tmp_path) -> Path:
    landing_dir = tmp_path / "landing"
    shutil.copytree(SMALL_LANDING, landing_dir)
    return landing_dir


def snapshot(con) -> dict:
    return {t: sorted(map(repr, con.execute(f"select * from {t}").fetchall())) for t in TABLES}


def manifest(con) -> list[tuple]:
    return con.execute("""select source, file, duplicate_of, rows_landed, rows_loaded,
        rows_duplicate, rows_filtered, rows_quarantined from raw.landed_files
        order by source, file""").fetchall()


def test_loading_the_same_landing_zone_twice_changes_nothing(zone, tmp_path):
    with duckdb.connect(str(tmp_path / "w.duckdb")) as con:
        landing.load_landing(con, zone, REGISTRY)
        before, files_before = (
            snapshot(con),
            con.execute("select * from raw.landed_files order by source, file").fetchall(),
        )
        results = landing.load_landing(con, zone, REGISTRY)
        assert [r.files_read for r in results] == [0, 0, 0, 0]
        assert snapshot(con) == before
        assert (
            con.execute("select * from raw.landed_files order by source, file").fetchall()
            == files_before
        )


def test_every_landed_row_is_loaded_duplicate_filtered_or_quarantined(zone, tmp_path):
    with duckdb.connect(str(tmp_path / "w.duckdb")) as con:
        landing.load_landing(con, zone, REGISTRY)
        rows = manifest(con)
        assert all(r[3] == r[4] + r[5] + r[6] + r[7] for r in rows), rows
        # the fixture's 32 event rows: 28 loaded, E0103 and E0906 delivered twice, A99 unknown,
        # "last tuesday" unparseable (tests/test_end_to_end.py has the per-file story)
        assert (
            con.execute("""select sum(rows_landed), sum(rows_loaded), sum(rows_duplicate),
            sum(rows_quarantined) from raw.landed_files where table_name = 'events'""").fetchone()
            == (32, 28, 2, 2)
        )
        assert con.execute("select count(*) from raw.events").fetchone() == (28,)
        assert con.execute("select count(*) from raw.events_duplicates").fetchone() == (2,)


def test_a_file_redelivered_under_another_name_changes_no_table(zone, tmp_path):
    with duckdb.connect(str(tmp_path / "w.duckdb")) as con:
        landing.load_landing(con, zone, REGISTRY)
        before = snapshot(con)
        events = zone / "product" / "events"
        shutil.copy(events / "2026_01.csv", events / "2026_01_resent.csv")
        results = landing.load_landing(con, zone, REGISTRY)
        assert results[-1].files_read == 0
        assert snapshot(con) == before
        row = [r for r in manifest(con) if r[1].endswith("2026_01_resent.csv")]
        # 9 rows landed again, all of them duplicates of the first delivery
        assert row == [
            (
                "events",
                "product/events/2026_01_resent.csv",
                "product/events/2026_01.csv",
                9,
                0,
                9,
                0,
                0,
            )
        ]


def test_a_changed_file_replaces_its_rows_and_promotes_a_duplicate(zone, tmp_path):
    with duckdb.connect(str(tmp_path / "w.duckdb")) as con:
        landing.load_landing(con, zone, REGISTRY)
        first = con.execute("select _file from raw.events where event_id = 'E0103'").fetchone()
        assert first == ("product/events/2026_01.csv",)
        # 2026_01.csv is re-exported without E0103: the copy in 2026_02.jsonl becomes the event
        path = zone / "product" / "events" / "2026_01.csv"
        lines = path.read_text().splitlines(keepends=True)
        path.write_text("".join(line for line in lines if not line.startswith("E0103,")))
        results = landing.load_landing(con, zone, REGISTRY)
        assert results[-1].files_read == 1
        assert con.execute(
            "select _file, _line from raw.events where event_id = 'E0103'"
        ).fetchall() == [("product/events/2026_02.jsonl", 1)]
        assert con.execute("select count(*) from raw.events").fetchone() == (28,)
        assert con.execute("select count(*) from raw.events_duplicates").fetchone() == (1,)
        counts = {r[1]: r[3:] for r in manifest(con)}
        assert counts["product/events/2026_01.csv"] == (8, 8, 0, 0, 0)
        # 2026_02.jsonl: 6 rows, E0103 now loaded instead of duplicate, A99 quarantined
        assert counts["product/events/2026_02.jsonl"] == (6, 5, 0, 0, 1)


def test_a_late_file_adds_its_events_and_an_unknown_account_is_retried(zone, tmp_path):
    with duckdb.connect(str(tmp_path / "w.duckdb")) as con:
        landing.load_landing(con, zone, REGISTRY)
        assert con.execute(
            "select count(*) from quarantine.rejected_rows where reason = 'unknown account_id: A99'"
        ).fetchone() == (1,)
        # a late file with an old event, and the CRM now knows A99
        (zone / "product" / "events" / "late_2026_01.csv").write_text(
            EVENTS_HEADER + "L1,A04,u1,project_created,2026-01-20T00:00:00Z,{}\n"
        )
        accounts = zone / "crm" / "accounts.csv"
        header = accounts.read_text().splitlines()[0]
        assert header.startswith("account_id,account_name,segment")
        with accounts.open("a") as handle:
            handle.write("A99,Late Co,SMB,retail,starter,direct,ann,EU,2026-01-01T00:00:00Z,,\n")
        landing.load_landing(con, zone, REGISTRY)
        assert con.execute(
            "select account_id, occurred_at::varchar from raw.events where event_id = 'L1'"
        ).fetchall() == [("A04", "2026-01-20 00:00:00")]
        # the A99 event of 2026_02.jsonl (line 3) is loaded now, and no longer quarantined
        assert con.execute(
            "select _file, _line from raw.events where account_id = 'A99'"
        ).fetchall() == [("product/events/2026_02.jsonl", 3)]
        assert con.execute(
            "select count(*) from quarantine.rejected_rows where reason like 'unknown account_id%'"
        ).fetchone() == (0,)
        assert con.execute("select count(*) from raw.events").fetchone() == (30,)


def test_a_bad_registry_entry_is_a_sentence(tmp_path):
    bad = tmp_path / "sources.yml"
    bad.write_text(
        "sources:\n  x:\n    table: events\n    files: [a/*.csv]\n    fields: {occured_at: when}\n"
    )
    with pytest.raises(sources.RegistryError) as error:
        sources.load_registry(bad)
    assert str(error.value) == (
        f"{bad}: source 'x': occured_at not column(s) of events "
        "(event_id, account_id, user_id, event_name, occurred_at, properties)"
    )


def test_a_crm_file_no_longer_landed_leaves_its_snapshot(zone, tmp_path):
    with duckdb.connect(str(tmp_path / "w.duckdb")) as con:
        landing.load_landing(con, zone, REGISTRY)
        assert con.execute("select count(*) from raw.onboarding").fetchone() == (13,)
        (zone / "crm" / "onboarding.csv").unlink()
        landing.load_landing(con, zone, REGISTRY)
        # CRM tables are snapshots of the landed files: no file, no rows, no manifest entry
        assert con.execute("select count(*) from raw.onboarding").fetchone() == (0,)
        assert con.execute(
            "select count(*) from raw.landed_files where table_name = 'onboarding'"
        ).fetchone() == (0,)
        rows = manifest(con)
        assert all(r[3] == r[4] + r[5] + r[6] + r[7] for r in rows), rows
