"""Write-audit-publish, done for real: bad data, killed runs and concurrent readers.

Every run here is the real daily job on a copy of tests/fixtures/landing_small, edited in
tmp_path. A "previously published" warehouse is a copy of the one tests/conftest.py builds once
per session. What must hold (README, "Publication and checks"; SPEC §5):

* each kind of bad data fails the check meant for it, with the rows and keys, and the published
  file stays byte for byte what it was (sha256);
* a run SIGKILLed while loading, while dbt builds, or while publishing leaves the published file
  intact and readable, and the next run succeeds;
* a process reading the published file in a loop during a run sees the old tables or the new
  ones, never an error, a mix or a partial table.

Killed runs are `make run` in their own process group, paused at a named point by the test-side
wrapper tests/paused_run.py, which patches the function at that point before it runs.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from dagster_project import paths
from tests.conftest import MARTS, SMALL_AS_OF, SMALL_LANDING, build_warehouse, query


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture
def previously_published(built_small_warehouse, tmp_path) -> Path:
    """A copy of a published warehouse (tests/conftest.py), alone: the run under test starts
    with no working file, as after a first install."""
    warehouse = tmp_path / "warehouse.duckdb"
    shutil.copy2(built_small_warehouse, warehouse)
    return warehouse


@pytest.fixture
def zone(tmp_path) -> Path:
    landing = tmp_path / "landing"
    shutil.copytree(SMALL_LANDING, landing)
    return landing


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert text.count(old) == 1, f"{old!r} in {path}"
    path.write_text(text.replace(old, new))


def failed_check(outcome, name: str):
    """The evaluation of check `name` in the run, which must have failed."""
    found = [c for c in outcome.checks if c.check_name == name]
    assert found, f"{name} was not evaluated:\n" + "\n".join(outcome.lines)
    assert not found[0].passed, "\n".join(outcome.lines)
    return found[0]


def failures(evaluation) -> list[dict]:
    return evaluation.metadata["failures"].value


def assert_refused(outcome, warehouse: Path, digest: str) -> str:
    """The run failed, said so, and left the published file byte for byte as it was."""
    text = "\n".join(outcome.lines)
    assert not outcome.success, text
    assert f"NOT published: {warehouse} is unchanged (as of {SMALL_AS_OF})" in text
    assert sha256(warehouse) == digest
    return text


# --------------------------------------------------------------------------------------------
# Bad data: the intended check fails, nothing is published


def test_a_duplicate_account_blocks_publication(previously_published, zone, monkeypatch):
    digest = sha256(previously_published)
    accounts = zone / "crm" / "accounts.csv"
    a05 = next(line for line in accounts.read_text().splitlines() if line.startswith("A05,"))
    accounts.write_text(accounts.read_text() + a05 + "\n")

    outcome = build_warehouse(monkeypatch, zone, previously_published, SMALL_AS_OF)

    text = assert_refused(outcome, previously_published, digest)
    check = failed_check(outcome, "gx_raw_accounts")
    assert check.severity == dg.AssetCheckSeverity.ERROR
    assert [(f["expectation"], f["unexpected_count"], f["examples"]) for f in failures(check)] == [
        ("expect_column_values_to_be_unique", 2, ["A05"])
    ]
    assert "check FAILED crm/accounts:gx_raw_accounts" in text
    assert "raw.accounts.account_id: 2 rows not unique, e.g. ['A05']" in text
    # the models never ran on it
    assert not any(c.check_name.startswith("gx_account") for c in outcome.checks)


def test_an_unknown_segment_blocks_publication(previously_published, zone, monkeypatch):
    digest = sha256(previously_published)
    edit(zone / "crm" / "accounts.csv", "A06,Umbrella,SMB,", "A06,Umbrella,Startup,")

    outcome = build_warehouse(monkeypatch, zone, previously_published, SMALL_AS_OF)

    text = assert_refused(outcome, previously_published, digest)
    (failure,) = failures(failed_check(outcome, "gx_raw_accounts"))
    assert failure["severity"] == "error" and failure["unexpected_count"] == 1
    assert failure["examples"] == [{"account_id": "A06", "segment": "Startup"}]
    assert failure["why"].startswith("the segment decides the start of the clock")
    assert (
        "raw.accounts: 1 row with a segment the catalogue (config.segments) does not list, "
        "e.g. [{'account_id': 'A06', 'segment': 'Startup'}]"
    ) in text


def test_a_missing_required_column_stops_its_source(previously_published, zone, monkeypatch):
    digest = sha256(previously_published)
    accounts = zone / "crm" / "accounts.csv"
    rows = [line.split(",") for line in accounts.read_text().splitlines()]
    drop = rows[0].index("segment")
    accounts.write_text("".join(",".join(r[:drop] + r[drop + 1 :]) + "\n" for r in rows))

    outcome = build_warehouse(monkeypatch, zone, previously_published, SMALL_AS_OF)

    text = assert_refused(outcome, previously_published, digest)
    # The loader's schema check (SPEC §5) is the check meant for a file: it stops the source
    # before anything is written. (The GX suites' columns check is the second line, for a table
    # that lost a column: tests/test_quality.py.)
    assert (
        "step FAILED crm__accounts: accounts stopped: crm/accounts.csv: missing field(s) "
        "segment for source 'accounts'" in text
    )


# Two impossible dates in one export, published while readers read the warehouse: one full run
# (about 50 s of CPU) observed by three tests. A05 churned on 2026-01-10, before its contract was
# signed (2026-01-15): start to churn would be -5 days. A13 signed on 2026-03-16; its value is now
# confirmed on 2026-03-10. Impossible data is flagged, never computed (SPEC §5).


@pytest.fixture(scope="module")
def flagged_run(built_small_warehouse, tmp_path_factory):
    """The run on the edited landing zone into a copy of the published warehouse, with two readers
    reading that warehouse in a loop throughout: (warehouse, outcome, digest before, fingerprints
    before and after, each reader's records)."""
    tmp_path = tmp_path_factory.mktemp("flagged")
    warehouse = tmp_path / "warehouse.duckdb"
    shutil.copy2(built_small_warehouse, warehouse)
    landing = tmp_path / "landing"
    shutil.copytree(SMALL_LANDING, landing)
    edit(
        landing / "crm" / "accounts.csv", "2026-01-05,2026-03-01T00:00:00Z", "2026-01-05,2026-01-10"
    )
    edit(landing / "crm" / "onboarding.csv", "2026-04-15T12:00:00Z", "2026-03-10T12:00:00Z")
    digest, old = sha256(warehouse), fingerprint(warehouse)

    with start_readers(warehouse, tmp_path) as readers:
        with pytest.MonkeyPatch.context() as monkeypatch:
            outcome = build_warehouse(monkeypatch, landing, warehouse, SMALL_AS_OF)
        assert outcome.success, "\n".join(outcome.lines)
        new = fingerprint(warehouse)
        wait_for_reads(readers, "fresh", 3, of=new)  # a few reads of the new file
    return dict(
        warehouse=warehouse,
        outcome=outcome,
        digest=digest,
        old=old,
        new=new,
        seen={mode: records(log) for mode, (_, log) in readers.items()},
    )


def test_a_churn_before_the_start_is_flagged_not_a_negative_duration(flagged_run):
    warehouse = flagged_run["warehouse"]
    assert query(
        warehouse,
        "select value_status, days_onboarding, data_issue "
        "from marts.account_ttv where account_id = 'A05'",
    ) == [("churned_before_value", None, "churned_before_start")]
    assert query(warehouse, "select count(*) from marts.account_ttv where days_onboarding < 0") == [
        (0,)
    ]


def test_a_value_before_the_start_is_published_flagged_and_reported(flagged_run):
    """WARN, not ERROR (README): SPEC §5 asks for impossible data to be flagged and reported,
    never computed. The account is published with its durations NULL, out of every median."""
    warehouse, outcome = flagged_run["warehouse"], flagged_run["outcome"]
    text = "\n".join(outcome.lines)
    check = failed_check(outcome, "gx_account_ttv")
    assert check.severity == dg.AssetCheckSeverity.WARN
    (failure,) = failures(check)
    # A03 is in the fixture already (tests/test_end_to_end.py); A05 and A13 are the edits above
    assert failure["severity"] == "warn" and failure["unexpected_count"] == 3
    assert failure["examples"] == [
        {"account_id": "A03", "data_issue": "value_before_start"},
        {"account_id": "A05", "data_issue": "churned_before_start"},
        {"account_id": "A13", "data_issue": "value_before_start"},
    ]
    assert "check WARN marts/account_ttv:gx_account_ttv" in text
    assert f"published {warehouse} as of {SMALL_AS_OF}" in text
    assert sha256(warehouse) != flagged_run["digest"]
    assert query(
        warehouse,
        "select ttv_days, ttv_band, data_issue from marts.account_ttv where account_id = 'A13'",
    ) == [(None, "data_issue", "value_before_start")]  # SPEC §4.1: a band, not NULL


def test_a_negative_duration_forced_into_a_mart_blocks_publication(built_small_warehouse, tmp_path):
    """The models never compute a negative step; one forced into the built working file (a model
    bug, a hand edit) is caught by the marts' GX suite when the working file is audited again."""
    from dagster_project.definitions import defs
    from dagster_project.defs.publish.assets import published_warehouse
    from dagster_project.defs.quality.checks import gx_checks

    warehouse = tmp_path / "warehouse.duckdb"
    shutil.copy2(built_small_warehouse, warehouse)
    shutil.copytree(paths.build_dir(built_small_warehouse), paths.build_dir(warehouse))
    digest = sha256(warehouse)
    with duckdb.connect(str(paths.working_warehouse_path(warehouse))) as con:
        con.execute(
            "update marts.journey_steps set duration_days = -2.5 "
            "where account_id = 'A02' and step = 'kickoff -> access_provisioned'"
        )

    audit = dg.define_asset_job(
        "audit_and_publish",
        selection=dg.AssetSelection.assets(published_warehouse)
        | dg.AssetSelection.checks(*gx_checks),
    )
    job = dg.Definitions(
        assets=defs.assets, asset_checks=defs.asset_checks, jobs=[audit], resources=defs.resources
    ).resolve_job_def("audit_and_publish")
    with pytest.MonkeyPatch.context() as monkeypatch:
        monkeypatch.setenv("TTV_WAREHOUSE", str(warehouse))
        result = job.execute_in_process(
            instance=dg.DagsterInstance.ephemeral(), raise_on_error=False
        )

    assert not result.success
    evaluations = {e.check_name: e for e in result.get_asset_check_evaluations()}
    assert set(evaluations) == {c.check_key.name for c in gx_checks}
    check = evaluations["gx_journey_steps"]
    assert not check.passed and check.severity == dg.AssetCheckSeverity.ERROR
    (failure,) = check.metadata["failures"].value
    assert failure["unexpected_count"] == 1 and failure["examples"] == [-2.5]
    assert failure["keys"] == [
        {"account_id": "A02", "journey": "implementation", "step": "kickoff -> access_provisioned"}
    ]
    assert failure["message"].startswith("marts.journey_steps.duration_days: 1 row below 0")
    assert all(
        e.passed or e.severity == dg.AssetCheckSeverity.WARN
        for name, e in evaluations.items()
        if name != "gx_journey_steps"
    )
    assert not result.get_asset_materialization_events()
    assert sha256(warehouse) == digest


# --------------------------------------------------------------------------------------------
# Killed runs


def start_run(
    warehouse: Path, landing: Path, as_of: str, log: Path, pause_at: str | None = None
) -> subprocess.Popen:
    """`make run` in a subprocess, in its own process group so that dbt (a child of the run) is
    killed with it; an ephemeral Dagster instance (no DAGSTER_HOME)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TTV_", "DAGSTER_HOME"))}
    env.update(
        TTV_LANDING_DIR=str(landing),
        TTV_WAREHOUSE=str(warehouse),
        TTV_AS_OF=as_of,
        PYTHONUNBUFFERED="1",
    )
    command = ["tests.paused_run", pause_at] if pause_at else ["dagster_project.run"]
    with open(log, "w") as output:
        return subprocess.Popen(
            [sys.executable, "-m", *command],
            env=env,
            cwd=paths.PROJECT_DIR,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )


def kill_when_paused(run: subprocess.Popen, warehouse: Path, point: str, log: Path) -> None:
    marker = paths.build_dir(warehouse) / f"paused-at-{point}"
    # No deadline, however busy the machine: the run either reaches the point or ends, which
    # fails here with its log.
    while not marker.exists():
        assert run.poll() is None, f"the run ended before {point}:\n{log.read_text()[-3000:]}"
        time.sleep(0.1)
    os.killpg(run.pid, signal.SIGKILL)
    run.wait()
    marker.unlink()


def assert_intact(warehouse: Path, digest: str) -> None:
    assert sha256(warehouse) == digest
    assert query(warehouse, "select count(*), max(as_of_date) from marts.account_ttv") == [
        (13, dt.date(2026, 6, 1))
    ]


def test_a_run_killed_while_loading_building_or_publishing_changes_nothing(
    previously_published, zone, tmp_path
):
    warehouse = previously_published
    digest = sha256(warehouse)
    build = paths.build_dir(warehouse)

    for point in ("load", "dbt", "publish"):
        # each run gets past where the previous one was killed: that one did no harm
        log = tmp_path / f"killed-at-{point}.log"
        run = start_run(warehouse, zone, "2026-05-20", log, pause_at=point)
        kill_when_paused(run, warehouse, point, log)
        if point == "publish":  # the new file was complete, only the rename was missing
            assert len(list(build.glob("publishing-*.duckdb"))) == 1
        assert_intact(warehouse, digest)

    log = tmp_path / "next.log"
    run = start_run(warehouse, zone, "2026-05-20", log)
    assert run.wait() == 0, log.read_text()[-3000:]
    assert sha256(warehouse) != digest
    assert query(warehouse, "select max(as_of_date) from marts.account_ttv") == [
        (dt.date(2026, 5, 20),)
    ]
    assert not list(build.glob("publishing-*"))  # the killed publication's file was cleared


# --------------------------------------------------------------------------------------------
# Readers during a run (flagged_run above)

READER = r"""
import json, os, sys, time, duckdb
path, out, stop, mode = sys.argv[1:5]
MARTS = sys.argv[5].split(",")

def fingerprint(con):
    # every row of every mart, so that a partial or mixed read cannot match
    return {t: con.execute(
        "select count(*)::bigint, "
        "md5(coalesce(string_agg(r::varchar, '|' order by r::varchar), '')) "
        f"from marts.{t} r").fetchone() for t in MARTS}

held = duckdb.connect(path, read_only=True) if mode == "held" else None
with open(out, "w") as log:
    while True:
        stopping = os.path.exists(stop)
        try:
            if held is not None:
                seen = fingerprint(held)
            else:
                with duckdb.connect(path, read_only=True) as con:
                    seen = fingerprint(con)
            log.write(json.dumps({"seen": seen}) + "\n")
        except Exception as exc:
            log.write(json.dumps({"error": repr(exc)}) + "\n")
        log.flush()
        if stopping:
            break
        time.sleep(0.2)  # leave the CPUs to the run (a run takes tens of seconds: many reads)
"""


def fingerprint(warehouse: Path) -> dict:
    """As READER computes it."""
    sql = (
        "select count(*)::bigint, "
        "md5(coalesce(string_agg(r::varchar, '|' order by r::varchar), '')) from marts.{} r"
    )
    return {t: list(query(warehouse, sql.format(t))[0]) for t in MARTS}


def records(log: Path) -> list[dict]:
    """The reads a reader has logged so far (whole lines only: it may be writing the next)."""
    lines = log.read_text().split("\n")[:-1] if log.exists() else []
    return [json.loads(line) for line in lines]


@contextlib.contextmanager
def start_readers(warehouse: Path, folder: Path):
    """Two processes reading every mart of `warehouse` in a loop, each into a JSON-lines log,
    from before the block (each has read once) to its end (each reads once more after it).
    Yields {mode: (process, log)}."""
    stop = folder / "stop"
    readers = {
        # "fresh" opens the warehouse afresh for every read, "held" opened it before the run and
        # keeps its connection throughout
        mode: (
            subprocess.Popen(
                [
                    sys.executable,
                    "-c",
                    READER,
                    str(warehouse),
                    str(folder / f"{mode}.jsonl"),
                    str(stop),
                    mode,
                    ",".join(MARTS),
                ]
            ),
            folder / f"{mode}.jsonl",
        )
        for mode in ("fresh", "held")
    }
    try:
        for mode in readers:
            wait_for_reads(readers, mode, 1)
        yield readers
    finally:
        stop.touch()
        for process, _ in readers.values():
            assert process.wait() == 0


def wait_for_reads(readers: dict, mode: str, count: int, of: dict | None = None) -> None:
    """Until reader `mode` has logged `count` reads (of fingerprint `of`, if given): an event to
    wait for, not a deadline, so a busy machine only makes it later."""
    process, log = readers[mode]
    while sum(of is None or r.get("seen") == of for r in records(log)) < count:
        assert process.poll() is None, f"the {mode} reader ended:\n{log.read_text()[-3000:]}"
        time.sleep(0.05)


def test_readers_see_the_old_warehouse_or_the_new_one_never_a_mix(flagged_run):
    old, new = flagged_run["old"], flagged_run["new"]
    assert new != old
    seen = {}
    for mode, reads in flagged_run["seen"].items():
        assert not [r for r in reads if "error" in r], mode
        versions = [
            ("old" if r["seen"] == old else "new" if r["seen"] == new else "MIXED") for r in reads
        ]
        assert "MIXED" not in versions, mode
        seen[mode] = versions
    # a fresh connection moves from the old file to the new one, once
    fresh = seen["fresh"]
    assert fresh[0] == "old" and fresh[-1] == "new"
    assert fresh == sorted(fresh, key=("old", "new").index)
    # a connection held across the publication keeps reading the file it opened
    assert set(seen["held"]) == {"old"} and len(seen["held"]) > 10
