"""The event aggregate is incremental (SPEC §8): a run rebuilds only the days whose events changed.
Built in two runs, the second adding a month, a Parquet file and the later half of a January file
(late events of days already built), the warehouse equals the one built from everything at once
(the session's full build of the hand-made zone): every mart, and the aggregate itself equals a
full recomputation from raw.events."""

import shutil

from dagster_project import paths
from tests.conftest import SMALL_AS_OF, SMALL_LANDING, build_warehouse, query
from tests.test_rebuild import MARTS

EVENTS = "product/events"
LATER = ("2026_03.csv", "plg_2026_05.parquet")


def test_a_day_by_day_build_equals_a_full_build(built_small_warehouse, tmp_path, monkeypatch):
    zone = tmp_path / "landing"
    shutil.copytree(SMALL_LANDING, zone)
    later = tmp_path / "later"
    later.mkdir()
    for name in LATER:
        shutil.move(zone / EVENTS / name, later / name)
    # 2026_01.csv: header and A01's first three events (12, 13 and 15 January) land first; A02's
    # login at 00:00 on 15 January and the rest arrive in the second run, in their own file
    january = (zone / EVENTS / "2026_01.csv").read_text().splitlines(keepends=True)
    (zone / EVENTS / "2026_01.csv").write_text("".join(january[:4]))
    (later / "2026_01_late.csv").write_text("".join(january[:1] + january[4:]))
    assert january[3].split(",")[4].startswith("2026-01-15")
    assert january[4].split(",")[4].startswith("2026-01-15")

    warehouse = tmp_path / "warehouse.duckdb"
    outcome = build_warehouse(monkeypatch, zone, warehouse, SMALL_AS_OF)
    assert outcome.success, "\n".join(outcome.lines)
    working = paths.working_warehouse_path(warehouse)
    built_days = dict(
        query(
            working,
            "select event_date, max(day_events) "
            "from intermediate.int_account_event_days group by all",
        )
    )
    for name in ("2026_01_late.csv",) + LATER:
        shutil.copy(later / name, zone / EVENTS / name)
    outcome = build_warehouse(monkeypatch, zone, warehouse, SMALL_AS_OF)
    assert outcome.success, "\n".join(outcome.lines)

    for table in MARTS:
        full = sorted(query(built_small_warehouse, f"select * from marts.{table}"), key=repr)
        incremental = sorted(query(warehouse, f"select * from marts.{table}"), key=repr)
        assert incremental == full, table
    # the aggregate is what a full recomputation from raw.events gives
    recomputed = """
        select account_id, event_name, min(occurred_at), count(*),
               sum(count(*)) over (partition by cast(occurred_at as date)), cast(occurred_at as date)
        from raw.events group by account_id, event_name, cast(occurred_at as date)"""
    aggregate = "select * from intermediate.int_account_event_days"
    assert sorted(query(working, aggregate)) == sorted(query(working, recomputed))
    # 15 January was rebuilt with the late events of that day (A02's login among them)
    late_on_15 = sum(line.split(",")[4].startswith("2026-01-15") for line in january[4:])
    rows = dict(
        query(
            working,
            "select event_date, max(day_events) "
            "from intermediate.int_account_event_days group by all",
        )
    )
    january_15 = next(d for d in rows if d.isoformat() == "2026-01-15")
    assert late_on_15 >= 1
    assert rows[january_15] == built_days[january_15] + late_on_15
    # the aggregates built on it read the same, computed from raw.events
    firsts = """select account_id, event_name, min(first_at)
                from intermediate.int_account_event_firsts group by all"""
    recomputed_firsts = (
        "select account_id, event_name, min(occurred_at) from raw.events group by all"
    )
    assert sorted(query(working, firsts)) == sorted(query(working, recomputed_firsts))
    # regular usage (config/ttv.yml: events on 3 of 7 days) from the events by a window function
    windows = """select account_id, min(first_at) from intermediate.int_account_active_windows
                 where milestone = 'regular_usage' group by all"""
    recomputed_windows = """
        select account_id, min(first_at) from (
            select account_id, min(occurred_at) as first_at,
                   count(*) over (partition by account_id order by cast(occurred_at as date)
                                  range between interval 6 days preceding and current row) as days
            from raw.events group by account_id, cast(occurred_at as date))
        where days >= 3 group by all"""
    assert sorted(query(working, windows)) == sorted(query(working, recomputed_windows))
    assert query(working, windows)  # the fixture reaches regular usage: the check compares rows


def test_a_changed_delivery_rebuilds_the_event_models(built_small_warehouse, tmp_path, monkeypatch):
    """A re-delivered events file whose content changed but not its count of events per day
    (an event renamed) would leave the day-by-day models as they were: the load drops them and
    the build makes them again from every event, so the warehouse equals a full build."""
    zone = tmp_path / "landing"
    shutil.copytree(SMALL_LANDING, zone)
    january = zone / EVENTS / "2026_01.csv"
    original = january.read_text()
    # A06 invited a teammate on 24 January: first delivered as a login, the same day
    wrong = original.replace(
        "E0602,A06,u0601,teammate_invited,2026-01-24", "E0602,A06,u0601,login,2026-01-24"
    )
    assert wrong != original
    january.write_text(wrong)
    warehouse = tmp_path / "warehouse.duckdb"
    outcome = build_warehouse(monkeypatch, zone, warehouse, SMALL_AS_OF)
    assert outcome.success, "\n".join(outcome.lines)
    working = paths.working_warehouse_path(warehouse)
    invited = """select count(*) from intermediate.int_account_event_days
                 where account_id = 'A06' and event_name = 'teammate_invited'
                 and event_date = date '2026-01-24'"""
    assert query(working, invited) == [(0,)]

    january.write_text(original)  # the corrected file, under the same name
    outcome = build_warehouse(monkeypatch, zone, warehouse, SMALL_AS_OF)
    assert outcome.success, "\n".join(outcome.lines)
    assert query(working, invited) == [(1,)]
    for table in MARTS:
        full = sorted(query(built_small_warehouse, f"select * from marts.{table}"), key=repr)
        rebuilt = sorted(query(warehouse, f"select * from marts.{table}"), key=repr)
        assert rebuilt == full, table
