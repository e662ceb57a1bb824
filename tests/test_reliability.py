"""Never stuck, never silently wrong (issue 9): volume and reached-milestone checks against the
published warehouse, the catalogue's events against the loaded ones, freshness (issue 10), one
run at a time, the checks before a run starts, and what `make run` prints when it fails.

The check functions run on small DuckDB files written here; `make run` itself runs twice on a
copy of the hand-made landing zone (tests/conftest.py), and as a process for the lock and the
preflight, which stop it before Dagster starts.
"""

from __future__ import annotations

import datetime as dt
import gzip
import hashlib
import os
import shutil
import socket
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from dagster_project import paths
from dagster_project.lib import audits, catalogue, warehouse
from tests.conftest import SMALL_AS_OF, SMALL_LANDING

PROJECT = Path(__file__).resolve().parent.parent


def database(path: Path, *statements: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with duckdb.connect(str(path)) as con:
        for statement in statements:
            con.execute(statement)
    return path


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


# --------------------------------------------------------------------------------------------
# Volume against the published warehouse


@pytest.fixture
def published(tmp_path) -> Path:
    """A published warehouse: 11 contracts loaded, 8 accounts and 4 retention rows, as of 06-01."""
    return database(
        tmp_path / "published.duckdb",
        "create schema raw",
        "create schema marts",
        "create table raw.landed_files (table_name varchar, rows_loaded bigint)",
        "insert into raw.landed_files values ('contracts', 7), ('contracts', 4), ('accounts', 3)",
        "create table marts.account_ttv as select range::varchar as account_id, "
        "date '2026-06-01' as as_of_date from range(8)",
        "create table marts.ttv_retention as select range as band from range(4)",
    )


def working(tmp_path, contracts: int, accounts: int, retention: int) -> Path:
    return database(
        tmp_path / "work.duckdb",
        "create schema raw",
        "create schema marts",
        f"create table raw.contracts as select range from range({contracts})",
        f"create table marts.account_ttv as select range from range({accounts})",
        f"create table marts.ttv_retention as select range from range({retention})",
    )


TABLES = [("raw", "contracts"), ("marts", "account_ttv"), ("marts", "ttv_retention")]


def test_a_table_that_shrinks_by_more_than_half_or_empties_fails_naming_both_counts(
    tmp_path, published
):
    outcomes = audits.compare_volume(
        working(tmp_path, 0, 4, 1), published, TABLES, max_shrink=0.5, accepted=set()
    )
    assert [(o.table, not o.failures, o.outcomes[0].examples) for o in outcomes] == [
        ("raw.contracts", False, [11, 0]),
        ("marts.account_ttv", True, [8, 4]),
        ("marts.ttv_retention", False, [4, 1]),
    ]
    assert [o.outcomes[0].message for o in outcomes] == [
        (
            "raw.contracts: 0 rows, the published warehouse has 11 (now empty, more than the 50% "
            "allowed). If the change is intended, run again with TTV_ACCEPT_VOLUME_CHANGE=raw.contracts"
        ),
        "marts.account_ttv: 4 rows, the published warehouse has 8",
        (
            "marts.ttv_retention: 1 rows, the published warehouse has 4 (75% fewer, more than the 50% "
            "allowed). If the change is intended, run again with "
            "TTV_ACCEPT_VOLUME_CHANGE=marts.ttv_retention"
        ),
    ]


def test_an_accepted_change_warns_and_the_threshold_is_configurable(tmp_path, published):
    work = working(tmp_path, 0, 4, 1)
    outcomes = audits.compare_volume(
        work, published, TABLES, max_shrink=0.5, accepted={"contracts", "marts.ttv_retention"}
    )
    assert [(not o.failures, o.outcomes[0].severity) for o in outcomes] == [
        (False, "warn"),
        (True, "error"),
        (False, "warn"),
    ]
    assert outcomes[0].outcomes[0].message.endswith("; accepted by TTV_ACCEPT_VOLUME_CHANGE")
    # 20%: losing 4 of 8 accounts is too much now
    strict = audits.compare_volume(work, published, TABLES, max_shrink=0.2, accepted={"all"})
    assert [(not o.failures, o.outcomes[0].severity) for o in strict] == [
        (False, "warn"),
        (False, "warn"),
        (False, "warn"),
    ]


def test_nothing_to_compare_without_a_published_warehouse_or_for_an_earlier_as_of(
    tmp_path, published
):
    work = working(tmp_path, 0, 0, 0)
    first = audits.compare_volume(
        work, tmp_path / "none.duckdb", TABLES, max_shrink=0.5, accepted=set()
    )
    assert first[0].outcomes[0].message == (
        "raw.contracts: 0 rows, no published table to compare with"
    )
    assert not any(o.failures for o in first)
    # rebuilding 1 May when 1 June is published: the marts are smaller by design, the CRM
    # export is not
    earlier = audits.compare_volume(
        work, published, TABLES, max_shrink=0.5, accepted=set(), as_of=dt.date(2026, 5, 1)
    )
    assert [not o.failures for o in earlier] == [False, True, True]
    assert earlier[1].outcomes[0].message == (
        "marts.account_ttv: 0 rows, no published table to compare with as of 2026-05-01 "
        "(published as of 2026-06-01)"
    )


def test_volume_settings_from_the_environment(monkeypatch):
    monkeypatch.setenv("TTV_MAX_SHRINK", "0.25")
    monkeypatch.setenv("TTV_ACCEPT_VOLUME_CHANGE", " contracts, marts.cohort_ttv ,")
    assert paths.max_shrink() == 0.25
    assert paths.accepted_volume_changes() == {"contracts", "marts.cohort_ttv"}
    monkeypatch.setenv("TTV_MAX_SHRINK", "half")
    with pytest.raises(
        ValueError, match="TTV_MAX_SHRINK must be a share between 0 and 1, got 'half'"
    ):
        paths.max_shrink()


def test_a_milestone_no_account_reaches_any_more_fails(tmp_path):
    milestones = (
        "create schema marts; create table marts.account_milestones as "
        "select * from (values {}) t(account_id, milestone, reached_at)"
    )
    before = database(
        tmp_path / "p.duckdb",
        milestones.format(
            "('A', 'first_login', now()), ('B', 'first_login', now()), ('A', 'kickoff', null)"
        ),
    )
    after = database(
        tmp_path / "w.duckdb",
        milestones.format(
            "('A', 'first_login', null), ('B', 'first_login', null), ('A', 'kickoff', null)"
        ),
    )
    outcome = audits.compare_reached(after, before, "marts", "account_milestones")
    (failure,) = outcome.failures
    assert (failure.severity, failure.examples) == ("error", ["first_login"])
    assert failure.message == (
        "marts.account_milestones: 1 milestone reached by no account, reached before: "
        "first_login (published: 2 accounts); check the catalogue (config/ttv.yml) and the "
        "exports, or accept with TTV_ACCEPT_VOLUME_CHANGE=marts.account_milestones"
    )
    assert not audits.compare_reached(before, before, "marts", "account_milestones").failures
    accepted = audits.compare_reached(
        after, before, "marts", "account_milestones", {"account_milestones"}
    )
    assert accepted.failures[0].severity == "warn"


# --------------------------------------------------------------------------------------------
# Freshness (issue 10)


def test_freshness_names_the_newest_date_of_each_source(tmp_path):
    work = database(
        tmp_path / "w.duckdb",
        "create schema raw",
        "create table raw.events as select * from (values ('events', timestamp '2026-05-31 10:00'),"
        " ('events', timestamp '2026-06-03 00:00'), ('segment', timestamp '2026-05-20 00:00')) "
        "t(_source, occurred_at)",
        "create table raw.contracts as select * from (values "
        "('contracts', timestamp '2026-05-29 00:00')) t(_source, signed_at)",
    )
    stale = audits.check_freshness(work, dt.date(2026, 6, 1), 3)
    (failure,) = stale.failures
    assert failure.severity == "warn"
    assert failure.message == (
        "1 source with nothing in the 3 days before as-of 2026-06-01: segment (newest "
        "2026-05-20, 12 days before); is an export missing, or should TTV_AS_OF be earlier? "
        "(fresh: contracts 2026-05-29, events 2026-05-31)"
    )
    fresh = audits.check_freshness(work, dt.date(2026, 6, 1), 12)
    assert fresh.failures == [] and fresh.outcomes[0].message == (
        "newest fact per source: contracts 2026-05-29, events 2026-05-31, segment 2026-05-20"
    )


# --------------------------------------------------------------------------------------------
# The catalogue against the loaded events


@pytest.fixture
def loaded(tmp_path) -> Path:
    return database(
        tmp_path / "w.duckdb",
        "create schema raw",
        "create table raw.events as select * from (values ('login'), ('signed_up'), "
        "('project_created'), ('teammate_invited'), ('dashboard_shared')) t(event_name)",
    )


def typo_catalogue(tmp_path) -> Path:
    text = paths.CATALOGUE_FILE.read_text()
    assert text.count("first_event: login") == 1
    path = tmp_path / "ttv.yml"
    path.write_text(text.replace("first_event: login", "first_event: logn"))
    return path


def test_a_misspelt_event_is_named_with_the_nearest_loaded_names(tmp_path, loaded):
    cat = catalogue.load_catalogue(typo_catalogue(tmp_path))
    unknown = catalogue.unknown_events_in(cat, loaded)
    # `search_performed` (a default feature) is not in these loaded events either
    assert [u.message for u in unknown] == [
        "feature 'search': event 'search_performed' never occurs in the loaded events",
        (
            "milestone 'first_login': event 'logn' never occurs in the loaded events; "
            "did you mean `login`?"
        ),
    ]
    outcome = audits.unknown_events_outcome(unknown)
    assert [(o.severity, o.message) for o in outcome.failures] == [
        (
            "warn",
            (
                "config.features: feature 'search': event 'search_performed' never occurs in "
                "the loaded events"
            ),
        ),
        (
            "error",
            (
                "config.milestone_events: milestone 'first_login': event 'logn' never occurs "
                "in the loaded events; did you mean `login`?"
            ),
        ),
    ]
    assert [
        u.event_name
        for u in catalogue.unknown_events_in(catalogue.load_catalogue(paths.CATALOGUE_FILE), loaded)
    ] == ["search_performed"]


def test_a_milestone_event_with_no_near_loaded_name_is_a_warning(tmp_path):
    """A small or new landing zone where nobody has logged in yet: nothing is misspelt, so the
    run goes on (and `milestones_reached` still blocks a milestone that stops being reached)."""
    working = database(
        tmp_path / "w.duckdb",
        "create schema raw",
        "create table raw.events as select * from (values ('signed_up'), "
        "('project_created')) t(event_name)",
    )
    unknown = catalogue.unknown_events_in(catalogue.load_catalogue(paths.CATALOGUE_FILE), working)
    by_event = {u.event_name: u for u in unknown}
    assert by_event["login"].suggestion == "" and not by_event["login"].is_error
    assert {o.severity for o in audits.unknown_events_outcome(unknown).failures} == {"warn"}


def test_a_feature_event_not_loaded_is_a_warning(loaded):
    with duckdb.connect(str(loaded)) as con:
        con.execute("create schema config")
        con.execute(
            "create table config.milestone_events as select 'first_login' as milestone,"
            " 'login' as event_name"
        )
        con.execute(
            "create table config.features as select * from (values "
            "('shared_dashboards', 'dashboard_shared'), ('search', 'serach_performed')) "
            "t(feature, event_name)"
        )
        unknown = catalogue.events_not_in_data(con)
    assert [u.message for u in unknown] == [
        "feature 'search': event 'serach_performed' never occurs in the loaded events"
    ]
    assert audits.unknown_events_outcome(unknown).failures[0].severity == "warn"


def test_the_validator_checks_the_last_runs_events_and_suggests_crm_fields(
    tmp_path, monkeypatch, capsys
):
    warehouse_path = tmp_path / "warehouse.duckdb"
    monkeypatch.setenv("TTV_WAREHOUSE", str(warehouse_path))
    database(
        paths.working_warehouse_path(),
        "create schema raw",
        "create table raw.events as select 'login' as event_name",
    )
    assert catalogue.main([str(typo_catalogue(tmp_path))]) == 1
    errors = [line for line in capsys.readouterr().err.splitlines() if line.startswith("error")]
    assert errors == [
        (
            f"error: {tmp_path / 'ttv.yml'}: milestone 'first_login': event 'logn' never occurs in "
            "the loaded events; did you mean `login`?"
        )
    ]
    doc = {"milestones": [{"name": "kickoff", "crm_field": "kickof_at"}]}
    with pytest.raises(
        catalogue.CatalogueError,
        match=r"crm_field 'kickof_at' is not a column "
        r"of crm/onboarding.csv; did you mean `kickoff_at`\?",
    ):
        catalogue.parse_catalogue(doc)


# --------------------------------------------------------------------------------------------
# One run at a time; what a run needs before it starts


def test_a_second_run_finds_the_first_and_a_dead_runs_lock_is_taken_over(tmp_path):
    lock_path = tmp_path / "build" / "run.lock"
    with warehouse.RunLock(lock_path) as first:
        holder = warehouse.read_lock(lock_path)
        assert (holder["pid"], holder["host"]) == (os.getpid(), socket.gethostname())
        # the same process again (`make run`, then its steps): it holds the lock already
        again = warehouse.RunLock(lock_path).acquire()
        again.release()
        assert warehouse.read_lock(lock_path) == holder
        assert first.stale is None
    assert lock_path.read_text() == ""

    # a run killed with its lock: the kernel dropped the flock, the PID is dead
    dead = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    left = (
        f'{{"pid": {dead}, "host": "{socket.gethostname()}", "started_at": "2026-06-01T06:00:00Z"}}'
    )
    lock_path.write_text(left)
    with warehouse.RunLock(lock_path) as taken:
        assert taken.stale == {
            "pid": int(dead),
            "host": socket.gethostname(),
            "started_at": "2026-06-01T06:00:00Z",
        }
        assert warehouse.read_lock(lock_path)["pid"] == os.getpid()


def test_a_live_process_named_in_the_lock_still_counts(tmp_path):
    lock_path = tmp_path / "run.lock"
    sleeper = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        lock_path.write_text(
            f'{{"pid": {sleeper.pid}, "host": "{socket.gethostname()}", '
            '"started_at": "2026-06-01T06:00:00Z"}'
        )
        with pytest.raises(warehouse.RunInProgress, match=f"pid {sleeper.pid} on "):
            warehouse.RunLock(lock_path).acquire()
    finally:
        sleeper.kill()
        sleeper.wait()


def test_a_step_will_not_write_while_another_process_runs(tmp_path, monkeypatch):
    """A run from the Dagster UI or the schedule takes the lock in its first writing step, so it
    and `make run` exclude each other too."""
    monkeypatch.setenv("TTV_WAREHOUSE", str(tmp_path / "warehouse.duckdb"))
    lock_path = paths.run_lock_path()
    hold = (
        "import sys, time; from pathlib import Path; "
        "from dagster_project.lib.warehouse import RunLock; "
        "held = RunLock(Path(sys.argv[1])).acquire(); print('held', flush=True); "
        "time.sleep(60)"
    )
    holder = subprocess.Popen(
        [sys.executable, "-c", hold, str(lock_path)], cwd=PROJECT, stdout=subprocess.PIPE, text=True
    )
    try:
        assert holder.stdout.readline() == "held\n"
        with pytest.raises(warehouse.RunInProgress, match=f"pid {holder.pid} on "):
            warehouse.connect_for_write()
        assert sorted(p.name for p in lock_path.parent.iterdir()) == ["run.lock"]
    finally:
        holder.kill()
        holder.wait()
    with warehouse.connect_for_write() as con:  # the holder died: the lock is free
        assert con.execute("select 1").fetchone() == (1,)


def test_preflight_names_what_stops_a_run(tmp_path):
    landing = tmp_path / "landing"
    landing.mkdir()
    assert warehouse.preflight(landing, tmp_path / "data" / "warehouse.duckdb") == []
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    assert warehouse.preflight(tmp_path / "nowhere", blocker / "warehouse.duckdb") == [
        f"landing folder {tmp_path / 'nowhere'} does not exist (set TTV_LANDING_DIR)",
        f"warehouse folder {blocker} cannot be created: {blocker} is a file",
    ]


def run_process(env: dict) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "dagster_project.run"],
        cwd=PROJECT,
        env={**os.environ, "DAGSTER_HOME": "", **env},
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )


def test_make_run_stops_at_once_when_another_run_holds_the_warehouse(tmp_path):
    published = tmp_path / "warehouse.duckdb"
    published.write_bytes(b"published")
    env = {
        "TTV_LANDING_DIR": str(SMALL_LANDING),
        "TTV_WAREHOUSE": str(published),
        "TTV_AS_OF": SMALL_AS_OF,
    }
    lock_path = paths.run_lock_path(published)
    with warehouse.RunLock(lock_path):
        held = lock_path.read_text()
        second = run_process(env)
        assert second.returncode == 3
        assert second.stdout == ""
        assert second.stderr.splitlines() == [
            (
                f"not started: another run is in progress: pid {os.getpid()} on "
                f"{socket.gethostname()} since {warehouse.read_lock(lock_path)['started_at']} "
                f"(lock {lock_path})"
            )
        ]
        # nothing touched: the lock as the first run wrote it, no working file, no log
        assert lock_path.read_text() == held
        assert sorted(p.name for p in lock_path.parent.iterdir()) == ["run.lock"]
        assert published.read_bytes() == b"published"

    unreadable = run_process({**env, "TTV_LANDING_DIR": str(tmp_path / "missing")})
    assert unreadable.returncode == 4
    assert unreadable.stderr == (
        f"cannot start: landing folder {tmp_path / 'missing'} does "
        "not exist (set TTV_LANDING_DIR)\n"
    )


# --------------------------------------------------------------------------------------------
# `make run` on bad input: refused with the summary first, then accepted on purpose


def test_a_truncated_export_a_bad_file_and_a_typo_are_refused_then_accepted(
    built_small_warehouse, tmp_path, monkeypatch, capfd
):
    from dagster_project import run

    published = tmp_path / "warehouse.duckdb"
    shutil.copy2(built_small_warehouse, published)
    digest = sha256(published)
    zone = tmp_path / "landing"
    shutil.copytree(SMALL_LANDING, zone)
    contracts = zone / "crm" / "contracts.csv"
    contracts.write_text(contracts.read_text().splitlines()[0] + "\n")  # the header only
    packed = gzip.compress(
        b"".join(
            b'{"event_id": "X%d", "account_id": "A01", "event_name": "login", '
            b'"occurred_at": "2026-05-30T10:00:00Z"}\n' % i
            for i in range(3000)
        ),
        mtime=0,
    )
    (zone / "product" / "events" / "late.jsonl.gz").write_bytes(packed[: len(packed) // 2])
    monkeypatch.delenv("DAGSTER_HOME", raising=False)
    for name, value in (
        ("TTV_LANDING_DIR", zone),
        ("TTV_WAREHOUSE", published),
        ("TTV_AS_OF", SMALL_AS_OF),
        ("TTV_CATALOGUE", typo_catalogue(tmp_path)),
    ):
        monkeypatch.setenv(name, str(value))

    assert run.main() == run.EXIT_FAILED
    out = capfd.readouterr().out.splitlines()
    log = next(line for line in out if line.startswith("full log")).split(": ", 1)[1]
    assert out[:9] == [
        f"TTV daily run as of {SMALL_AS_OF}: landing {zone} -> {published}",
        (
            f"FAILED as of {SMALL_AS_OF}: NOT published: {published} is unchanged "
            f"(as of {SMALL_AS_OF})"
        ),
        "check crm/contracts:volume failed",
        (
            "    [error] raw.contracts: 0 rows, the published warehouse has 16 (now empty, more "
            "than the 50% allowed). If the change is intended, run again with "
            "TTV_ACCEPT_VOLUME_CHANGE=raw.contracts"
        ),
        "    what to do: " + run.ADVICE[0][1],
        "check product/events:catalogue_events failed",
        (
            "    [error] config.milestone_events: milestone 'first_login': event 'logn' never "
            "occurs in the loaded events; did you mean `login`?"
        ),
        "    what to do: " + run.ADVICE[2][1],
        f"full log (Dagster, dbt, stack traces): {log}",
    ]
    assert (
        "    rejected product/events/late.jsonl.gz: Unexpected end of GZIP stream: "
        "product/events/late.jsonl.gz" in out
    )
    assert Path(log).parent == paths.run_log_dir(published)
    assert "ttv_daily" in Path(log).read_text()
    assert not any("Traceback" in line for line in out)
    assert sha256(published) == digest
    with duckdb.connect(str(paths.working_warehouse_path(published)), read_only=True) as con:
        assert con.execute(
            "select file, status, rows_landed from raw.landed_files where "
            "status <> 'loaded' or table_name = 'contracts' order by file"
        ).fetchall() == [
            ("crm/contracts.csv", "loaded", 0),
            ("product/events/late.jsonl.gz", "rejected", 0),
        ]

    # the catalogue fixed, the smaller CRM export accepted on purpose: published, with warnings
    monkeypatch.delenv("TTV_CATALOGUE")
    monkeypatch.setenv("TTV_ACCEPT_VOLUME_CHANGE", "all")
    assert run.main() == run.EXIT_OK
    out = capfd.readouterr().out
    assert "check WARN crm/contracts:volume" in out
    assert "check WARN marts/account_milestones:milestones_reached" in out
    assert (
        "    [warn] marts.account_milestones: 1 milestone reached by no account, reached "
        "before: contract_signed (published: 11 accounts); accepted by "
        "TTV_ACCEPT_VOLUME_CHANGE"
    ) in out.splitlines()
    assert f"published {published} as of {SMALL_AS_OF}" in out
    with duckdb.connect(str(published), read_only=True) as con:
        assert con.execute(
            "select count(*) from marts.account_ttv where renewal_outcome = 'renewed'"
        ).fetchone() == (0,)
        assert con.execute(
            "select reason from raw.landed_files where status = 'rejected'"
        ).fetchall() == [(("Unexpected end of GZIP stream: product/events/late.jsonl.gz"),)]
