"""Exports named and laid out the way the vendors write them (issue 15), loaded with the registry
as it ships: every file is read or listed as unclaimed, HubSpot labels match whatever their case,
Mixpanel list group keys take their first item, Segment's non-track calls are filtered.

The landing zone is written by tests/fixtures/make_landing_layouts.py (its docstring lists the
files); every canonical row below is worked out from it by hand.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import importlib.util
import shutil
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest

from dagster_project import paths
from dagster_project.lib import landing, sources
from tests.conftest import FIXTURES

REGISTRY = sources.load_registry(paths.SOURCES_FILE)


def _generator():
    spec = importlib.util.spec_from_file_location(
        "make_landing_layouts", FIXTURES / "make_landing_layouts.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


L = _generator()
T = dt.datetime
D = dt.date
UNCLAIMED = "no source in the registry (config/sources.yml) matches this file"


def mixpanel_id(event: str, distinct_id: str, time: int, insert_id: str) -> str:
    """The registry's Mixpanel event_id: md5 of event|distinct_id|time|$insert_id."""
    return hashlib.md5(f"{event}|{distinct_id}|{time}|{insert_id}".encode()).hexdigest()


@pytest.fixture(scope="module")
def layouts(tmp_path_factory):
    root = tmp_path_factory.mktemp("layouts")
    L.main(root / "landing")
    con = duckdb.connect(str(root / "w.duckdb"))
    results = landing.load_landing(con, root / "landing", REGISTRY)
    yield con, results, root / "landing"
    con.close()


def rows(con, sql: str, params=None) -> list[tuple]:
    return con.execute(sql, params or []).fetchall()


def test_hubspot_download_names_and_labels_in_any_case(layouts):
    con, _, _ = layouts
    assert rows(
        con,
        """select account_id, account_name, segment, industry, plan_tier,
                               sales_channel, csm_owner, region, created_at, churned_at,
                               churn_reason, _file, _line
                        from raw.accounts order by account_id""",
    ) == [
        # segment `enterprise` -> Enterprise; `Direct` -> direct; Create Date without zone: UTC
        (
            "101",
            "Acme",
            "Enterprise",
            "Software",
            "enterprise",
            "direct",
            "alice",
            "Germany",
            T(2026, 1, 5, 9, 0),
            None,
            None,
            L.COMPANIES,
            2,
        ),
        (
            "102",
            "Beta",
            "SMB",
            "Retail",
            "team",
            "direct",
            "bob",
            "France",
            T(2026, 2, 1, 10, 30),
            None,
            None,
            L.COMPANIES,
            3,
        ),
        # `Self-Serve` -> self-serve; empty CSM owner -> NULL
        (
            "103",
            "Gamma",
            "PLG",
            "Software",
            "free",
            "self-serve",
            None,
            "United States",
            T(2026, 3, 1),
            None,
            None,
            L.COMPANIES,
            4,
        ),
        # `Mid Market` -> Mid-Market (label-blind: spaces and hyphens ignored); `Reseller` is
        # not in the map and the field keeps unmapped values: kept as it is, not quarantined
        (
            "104",
            "Delta",
            "Mid-Market",
            "Finance",
            "business",
            "Reseller",
            "carol",
            "Spain",
            T(2026, 4, 1, 12, 0),
            T(2026, 6, 1),
            "budget",
            L.COMPANIES,
            5,
        ),
    ]
    assert rows(
        con,
        """select account_id, kickoff_at, value_confirmed_at, pre_onboarding,
                               configuration_approach, touch_model, onboarding_variant,
                               integrations
                        from raw.onboarding order by account_id""",
    ) == [
        # `Template`/`High`, `template`/`high`, `CUSTOM`/`Low`, `custom`/`low`: one value each
        ("101", T(2026, 1, 10), T(2026, 3, 1), True, "template", "high", "A", "slack"),
        ("102", T(2026, 2, 3), None, False, "template", "high", "B", None),
        ("103", None, None, False, "custom", "low", None, None),
        ("104", None, None, False, "custom", "low", None, None),
    ]
    # so a cohort never splits by case
    assert rows(
        con,
        "select count(distinct sales_channel) from raw.accounts where sales_channel ilike 'direct'",
    ) == [(1,)]


def test_hubspot_deals_stage_and_type_as_labels_or_internal_names(layouts):
    con, _, _ = layouts
    assert rows(
        con,
        """select contract_id, account_id, contract_type, signed_at, start_date,
                               end_date, arr, _line
                        from raw.contracts order by contract_id""",
    ) == [
        # `Closed Won`, `New Business`
        (
            "201",
            "101",
            "new_business",
            T(2026, 1, 20, 14, 0),
            D(2026, 2, 1),
            D(2027, 1, 31),
            Decimal("120000.00"),
            2,
        ),
        # `closedwon`, `newbusiness` (internal names); companies `102;104`: the first; no
        # contract start date: Close Date's date
        (
            "202",
            "102",
            "new_business",
            T(2026, 2, 2, 9, 0),
            D(2026, 2, 2),
            D(2027, 2, 1),
            Decimal("6000.00"),
            3,
        ),
        # line 4 `Closed Lost`: filtered. Line 5 `Closed won`, `Existing business` -> expansion
        (
            "204",
            "101",
            "expansion",
            T(2026, 5, 5),
            D(2026, 5, 5),
            D(2027, 1, 31),
            Decimal("24000.50"),
            5,
        ),
    ]
    assert rows(
        con, "select count(*) from quarantine.rejected_rows where source = 'hubspot_deals'"
    ) == [(0,)]


def test_events_from_every_vendor_layout(layouts):
    con, _, _ = layouts
    got = rows(
        con,
        """select event_id, account_id, user_id, event_name, occurred_at, _file, _line
                       from raw.events order by _file, _line""",
    )
    assert got == [
        # an Amplitude S3 member, not zipped; groups.company ["103"]
        ("amp-1", "103", "u-103", "signed_up", T(2026, 6, 29, 10, 30), L.AMPLITUDE, 1),
        # Mixpanel `.json` of JSON lines; 1782691200 is 2026-06-29 00:00 UTC, + 36900 s = 10:15
        (
            mixpanel_id("login", "u-101", 1782728100, "mp-1"),
            "101",
            "u-101",
            "login",
            T(2026, 6, 29, 10, 15),
            L.MIXPANEL_DAY1,
            1,
        ),
        # company_id ["103", "101"]: the first
        (
            mixpanel_id("teammate_invited", "u-101", 1782728160, "mp-2"),
            "103",
            "u-101",
            "teammate_invited",
            T(2026, 6, 29, 10, 16),
            L.MIXPANEL_DAY1,
            2,
        ),
        # company_id a plain string
        (
            mixpanel_id("login", "u-102", 1782728220, "mp-3"),
            "102",
            "u-102",
            "login",
            T(2026, 6, 29, 10, 17),
            L.MIXPANEL_DAY1,
            3,
        ),
        # line 4: company_id [] -> missing account_id (quarantined, below)
        # gzipped, next day folder: 1782781200 = 2026-06-30 01:00 UTC
        (
            mixpanel_id("project_created", "u-104", 1782781200, "mp-5"),
            "104",
            "u-104",
            "project_created",
            T(2026, 6, 30, 1, 0),
            L.MIXPANEL_DAY2,
            1,
        ),
        ("ph-1", "103", "u-103", "login", T(2026, 6, 29, 11, 0), L.POSTHOG, 1),
        # the canonical layout in a nested folder, gzipped CSV (header = line 1)
        ("can-1", "104", "u-104", "login", T(2026, 6, 30, 12, 0), L.CANONICAL, 2),
        # Segment day 1: line 1 identify, 3 group, 4 page, 5 screen, 6 alias are filtered
        ("seg-t-1", "101", "u-101", "login", T(2026, 6, 29, 9, 0), L.SEGMENT_DAY1, 2),
        # day 2: 10:00+02:00 -> 08:00 UTC; line 2 page: filtered
        ("seg-t-2", "102", "u-102", "project_created", T(2026, 6, 30, 8, 0), L.SEGMENT_DAY2, 1),
        # line 3 has no `type` at all: the registry leaves out the listed calls, not the rest
        ("seg-t-3", "104", "u-104", "login", T(2026, 6, 30, 11, 0), L.SEGMENT_DAY2, 3),
    ]
    assert rows(
        con, "select source, file, line, column_name, reason from quarantine.rejected_rows"
    ) == [("mixpanel_events", L.MIXPANEL_DAY1, 4, "account_id", "missing account_id")]


def test_every_file_is_read_or_listed_as_unclaimed(layouts):
    con, results, landing_dir = layouts
    manifest = rows(
        con,
        """
        select source, file, table_name, status, rows_landed, rows_loaded, rows_duplicate,
               rows_filtered, rows_quarantined, reason
        from raw.landed_files order by file, source""",
    )
    assert manifest == [
        ("amplitude_events", L.AMPLITUDE, "events", "loaded", 1, 1, 0, 0, 0, None),
        ("hubspot_companies", L.COMPANIES, "accounts", "loaded", 4, 4, 0, 0, 0, None),
        ("hubspot_onboarding", L.COMPANIES, "onboarding", "loaded", 4, 4, 0, 0, 0, None),
        # HubSpot contacts: no source reads them
        (None, L.CONTACTS, None, "unclaimed", 0, 0, 0, 0, 0, UNCLAIMED),
        ("hubspot_deals", L.DEALS, "contracts", "loaded", 4, 3, 0, 1, 0, None),
        ("mixpanel_events", L.MIXPANEL_DAY1, "events", "loaded", 4, 3, 0, 0, 1, None),
        ("mixpanel_events", L.MIXPANEL_DAY2, "events", "loaded", 1, 1, 0, 0, 0, None),
        (None, L.NOTES, None, "unclaimed", 0, 0, 0, 0, 0, UNCLAIMED),
        ("posthog_events", L.POSTHOG, "events", "loaded", 1, 1, 0, 0, 0, None),
        ("events", L.CANONICAL, "events", "loaded", 1, 1, 0, 0, 0, None),
        # Segment: 5 + 1 non-track calls filtered, not quarantined
        ("segment_tracks", L.SEGMENT_DAY1, "events", "loaded", 6, 1, 0, 5, 0, None),
        ("segment_tracks", L.SEGMENT_DAY2, "events", "loaded", 3, 2, 0, 1, 0, None),
    ]
    # every file but the hidden one is in the manifest
    on_disk = {p.relative_to(landing_dir).as_posix() for p in landing_dir.rglob("*") if p.is_file()}
    assert on_disk - {r[1] for r in manifest} == {"segment/.DS_Store"}
    # each table's load reports the unclaimed files (the run lists them once)
    for result in results:
        assert result.unclaimed == [L.CONTACTS, L.NOTES], result.table
    events = next(r for r in results if r.table == "events")
    assert (
        events.rows_landed,
        events.rows_loaded,
        events.rows_filtered,
        events.rows_quarantined,
    ) == (17, 10, 6, 1)


def test_the_reconciliation_accepts_unclaimed_rows(layouts):
    """The raw_landed_files suite's error expectations, run as they are on this manifest."""
    import json

    con, _, _ = layouts
    suite = json.loads((paths.EXPECTATIONS_DIR / "raw_landed_files.json").read_text())
    for expectation in suite["expectations"]:
        query = expectation["kwargs"].get("unexpected_rows_query")
        if not query or expectation.get("severity", "critical") != "critical":  # GX's own
            continue
        assert rows(con, query.replace("{batch}", "raw.landed_files")) == [], expectation


def _snapshot(con) -> dict[str, list[tuple]]:
    out = {
        "landed_files": rows(con, "select * from raw.landed_files order by all"),
        "rejected_rows": rows(con, "select * from quarantine.rejected_rows order by all"),
    }
    for table in ("accounts", "onboarding", "contracts", "events", "events_duplicates"):
        out[table] = rows(con, f"select * from raw.{table} order by all")
    return out


def test_re_running_changes_nothing(tmp_path):
    L.main(tmp_path / "landing")
    with duckdb.connect(str(tmp_path / "w.duckdb")) as con:
        landing.load_landing(con, tmp_path / "landing", REGISTRY)
        first = _snapshot(con)
        later = dt.datetime(2030, 1, 1)  # a later run: loaded_at would show any rewritten row
        for table in landing.TABLES:
            result = landing.load_table(con, tmp_path / "landing", table, REGISTRY, now=later)
            assert result.files_read == 0, table.name
        assert _snapshot(con) == first


def test_unclaimed_rows_follow_the_landing_zone(tmp_path):
    L.main(tmp_path / "landing")
    with duckdb.connect(str(tmp_path / "w.duckdb")) as con:
        landing.load_landing(con, tmp_path / "landing", REGISTRY)
        # one removed, one renamed, and the registry gains a source for a third
        (tmp_path / "landing" / L.NOTES).unlink()
        shutil.move(tmp_path / "landing" / L.CONTACTS, tmp_path / "landing/contacts.csv")
        landing.load_table(con, tmp_path / "landing", landing.ACCOUNTS, REGISTRY)
        assert rows(con, "select file from raw.landed_files where status = 'unclaimed'") == [
            ("contacts.csv",)
        ]
        claiming = REGISTRY + [sources.Source("contacts", "events", ("contacts.csv",), {})]
        landing._record_unclaimed(con, tmp_path / "landing", claiming, dt.datetime(2030, 1, 1))
        assert rows(con, "select count(*) from raw.landed_files where status = 'unclaimed'") == [
            (0,)
        ]


def test_labels_are_matched_case_and_label_blind_and_collisions_refused():
    columns = {t.name: tuple(t.columns) for t in landing.TABLES}

    def parse(field):
        doc = {
            "sources": {
                "s": {"table": "accounts", "files": ["a.csv"], "fields": {"sales_channel": field}}
            }
        }
        return sources.parse_registry(doc, columns)[0].fields["sales_channel"]

    spec = parse({"field": "ch", "map": {"Self-Serve": "self-serve", "self_serve": "self-serve"}})
    assert spec.mapping == {"selfserve": "self-serve"} and spec.unmapped == "quarantine"
    assert sources.label_key(" Closed  Won ") == sources.label_key("closedwon") == "closedwon"
    with pytest.raises(sources.RegistryError, match="map to 'direct' and 'partner'"):
        parse({"field": "ch", "map": {"Direct": "direct", "DIRECT": "partner"}})
    with pytest.raises(sources.RegistryError, match="unmapped"):
        parse({"field": "ch", "unmapped": "keep"})


def test_where_keeps_listed_values_or_leaves_them_out():
    columns = {t.name: tuple(t.columns) for t in landing.TABLES}

    def parse(clause):
        doc = {"sources": {"s": {"table": "events", "files": ["e.jsonl"], "where": clause}}}
        return sources.parse_registry(doc, columns)[0]

    kept = parse({"field": "type", "values": ["Track"]})
    assert (kept.where_values, kept.where_excludes) == (("track",), False)
    left_out = parse({"field": "type", "not": ["identify", "Screen"]})
    assert (left_out.where_values, left_out.where_excludes) == (("identify", "screen"), True)
    with pytest.raises(sources.RegistryError, match="either `values`"):
        parse({"field": "type", "values": ["track"], "not": ["page"]})


# --------------------------------------------------------------------------------------------
# Many small files: one set-based read per source and compression, per-file only as a fallback
# --------------------------------------------------------------------------------------------


def _posthog_day(day: int, lines: list[str]) -> tuple[str, bytes]:
    import gzip

    rel = f"posthog/exports/2026/07/{day:02d}/2026-07-{day:02d}T00:00:00.jsonl.gz"
    return rel, gzip.compress("".join(line + "\n" for line in lines).encode(), mtime=0)


def _posthog_event(uuid: str, account: str, day: int) -> str:
    import json

    return json.dumps(
        {
            "uuid": uuid,
            "event": "login",
            "distinct_id": "u",
            "timestamp": f"2026-07-{day:02d}T10:00:00Z",
            "properties": {"$groups": {"company": account}},
        }
    )


def _many_files(root: Path) -> Path:
    landing_dir = root / "landing"
    L.main(landing_dir)  # the accounts 101-104, and one file of every other vendor
    for day in range(1, 13):
        lines = [_posthog_event(f"d{day}-{n}", str(101 + n % 4), day) for n in range(3)]
        if day == 4:
            lines.insert(1, "not json")  # quarantined at line 2; the lines after it keep theirs
        if day == 7:
            lines.append(_posthog_event("d7-x", "999", day))  # unknown account, line 4
        if day == 9:
            lines.append(_posthog_event("d2-0", "101", 2))  # a repeat of day 2's first event
        rel, data = _posthog_day(day, lines)
        (landing_dir / rel).parent.mkdir(parents=True, exist_ok=True)
        (landing_dir / rel).write_bytes(data)
    return landing_dir


def _loaded(con) -> dict[str, list[tuple]]:
    snap = _snapshot(con)
    # loaded_at is the run's clock; every other column must be the same whichever way it read
    snap["landed_files"] = rows(
        con, "select * exclude (loaded_at) from raw.landed_files order by all"
    )
    return snap


def test_many_files_in_one_pass_load_what_one_by_one_loads(tmp_path, monkeypatch):
    landing_dir = _many_files(tmp_path)
    batches = []
    real = landing._read_batch
    monkeypatch.setattr(
        landing,
        "_read_batch",
        lambda con, table, batch: batches.append(len(batch)) or real(con, table, batch),
    )
    with duckdb.connect(str(tmp_path / "batch.duckdb")) as con:
        landing.load_landing(con, landing_dir, REGISTRY)
        together = _loaded(con)
    assert sorted(batches) == [2, 13]  # Segment's two .gz days; PostHog's 13 .jsonl.gz files
    monkeypatch.setattr(landing, "_batchable", lambda landed: False)
    with duckdb.connect(str(tmp_path / "single.duckdb")) as con:
        landing.load_landing(con, landing_dir, REGISTRY)
        alone = _loaded(con)
    assert together == alone
    # and what that is, by hand: day 4's bad line, day 7's unknown account, day 9's repeat
    day = {d: _posthog_day(d, [])[0] for d in (4, 7, 9)}
    assert [r[:4] for r in together["rejected_rows"] if r[0] == "posthog_events"] == [
        ("posthog_events", day[4], 2, None),
        ("posthog_events", day[7], 4, "account_id"),
    ]
    assert rows_of(together["events_duplicates"], "d2-0") == [(day[9], 4)]
    assert len([r for r in together["events"] if r[6] == "posthog_events"]) == 36 + 1  # + ph-1


def rows_of(table: list[tuple], event_id: str) -> list[tuple]:
    # raw.events* columns: event_id ... properties, then _source, _file, _line, _extra
    return [(r[7], r[8]) for r in table if r[0] == event_id]


def test_a_corrupt_file_among_many_is_rejected_alone(tmp_path, monkeypatch):
    landing_dir = _many_files(tmp_path)
    broken, data = _posthog_day(5, [_posthog_event("d5-0", "101", 5)] * 50)
    (landing_dir / broken).write_bytes(data[: len(data) // 2])  # a truncated gzip
    alone, real = [], landing._open
    monkeypatch.setattr(
        landing,
        "_open",
        lambda con, path, fmt, source, rescan=False: (
            alone.append((source.name, path)) or real(con, path, fmt, source, rescan)
        ),
    )
    with duckdb.connect(str(tmp_path / "w.duckdb")) as con:
        results = landing.load_landing(con, landing_dir, REGISTRY)
        # the reader's error names the file: the other PostHog files stay in one pass
        assert [path for name, path in alone if name == "posthog_events"] == [landing_dir / broken]
        events = next(r for r in results if r.table == "events")
        assert [file for file, _ in events.rejected] == [broken]
        assert rows(con, "select status from raw.landed_files where file = ?", [broken]) == [
            ("rejected",)
        ]
        # every other PostHog day loaded: 11 days of 3, the bad line and unknown account aside
        assert rows(
            con,
            "select count(*) from raw.events where _source = 'posthog_events' "
            "and event_id like 'd%-%'",
        ) == [(33,)]


CSV_HEADER = "event_id,account_id,user_id,event_name,occurred_at,properties\n"


def _csv_day(day: int) -> tuple[str, str]:
    """A day of the canonical CSV layout, 3 events (accounts 101-104); some days carry a case."""
    lines = [
        f"c{day}-{n},{101 + n % 4},u1,login,2026-07-{day:02d}T09:00:00Z,{{}}\n" for n in range(3)
    ]
    header = CSV_HEADER
    if day == 2:
        lines[2] = "c1-0,101,u1,login,2026-07-01T09:00:00Z,{}\n"  # day 1's first event again
    if day == 3:  # a quoted value over two lines (2-3): the next row is on line 4, not 3
        lines[0] = 'c3-0,101,"u\n1",login,2026-07-03T09:00:00Z,{}\n'
    if day == 5:
        lines.insert(1, "c5-x,101\n")  # ragged at line 3: the file is read alone
    if day == 6:
        lines[1] = "c6-1,102,u1,login,yesterday,{}\n"  # unparseable timestamp, line 3
    if day in (7, 8):  # another column order: a batch of their own
        header = "account_id,event_id,user_id,event_name,occurred_at,properties\n"
        lines = [
            f"{101 + n},c{day}-{n},u1,login,2026-07-{day:02d}T09:00:00Z,{{}}\n" for n in range(2)
        ]
    return f"product/events/daily/2026-07-{day:02d}.csv", header + "".join(lines)


def _parquet_day(con, root: Path, day: int) -> None:
    """A PostHog batch export day as Parquet: 2 events; day 4's timestamp column is typed."""
    rel = root / f"posthog/parquet/2026/07/{day:02d}/export.parquet"
    rel.parent.mkdir(parents=True, exist_ok=True)
    at = f"'2026-07-{day:02d}T11:00:00Z'" if day != 4 else "timestamp '2026-07-04 11:00:00'"
    con.execute(f"""copy (select 'p{day}-' || n as uuid, 'login' as event, 'u' as distinct_id,
        {at} as timestamp, '{{"$groups": {{"company": "10' || (n + 1) || '"}}}}' as properties
        from range(2) t(n)) to '{rel}' (format parquet)""")


def _amplitude_zip(root: Path, day: int) -> None:
    """An Amplitude export zip of hourly gzipped members, 2 events each; day 2's hour 1 member
    has a bad line 2."""
    import gzip
    import json
    import zipfile

    with zipfile.ZipFile(root / f"amplitude/export_2026-07-{day:02d}.zip", "w") as archive:
        for hour in range(3):
            lines = [
                json.dumps(
                    {
                        "uuid": f"a{day}-{hour}-{n}",
                        "event_type": "login",
                        "user_id": "u",
                        "groups": {"company": [str(101 + n)]},
                        "event_time": f"2026-07-{day:02d} {hour:02d}:30:00.000000",
                    }
                )
                for n in range(2)
            ]
            if (day, hour) == (2, 1):
                lines.insert(1, "not json")
            name = f"187520/187520_2026-07-{day:02d}_{hour}#0.json.gz"
            archive.writestr(
                name, gzip.compress("".join(x + "\n" for x in lines).encode(), mtime=0)
            )


def test_csv_parquet_and_zipped_files_in_one_pass_load_what_one_by_one_loads(tmp_path, monkeypatch):
    landing_dir = _many_files(tmp_path)
    for day in range(1, 9):
        rel, text = _csv_day(day)
        (landing_dir / rel).parent.mkdir(parents=True, exist_ok=True)
        (landing_dir / rel).write_text(text)
    with duckdb.connect() as con:
        for day in range(1, 5):
            _parquet_day(con, landing_dir, day)
    for day in (1, 2):
        _amplitude_zip(landing_dir, day)
    batches, real = [], landing._read_batch
    monkeypatch.setattr(
        landing,
        "_read_batch",
        lambda con, table, batch: (
            batches.append((batch[0][0].path.suffix, len(batch))) or real(con, table, batch)
        ),
    )
    with duckdb.connect(str(tmp_path / "batch.duckdb")) as con:
        landing.load_landing(con, landing_dir, REGISTRY)
        together = _loaded(con)
    # CSV: days 1-6 share a header (day 5 then left to be read alone), days 7-8 another;
    # Parquet: days 1-3 share a schema, day 4 (a typed timestamp) is read alone
    # Amplitude: both zips' six hourly members in one pass
    assert sorted(b for b in batches if b[0] in (".csv", ".parquet", ".zip")) == [
        (".csv", 2),
        (".csv", 6),
        (".parquet", 3),
        (".zip", 2),
    ]
    monkeypatch.setattr(landing, "_batchable", lambda landed: False)
    with duckdb.connect(str(tmp_path / "single.duckdb")) as con:
        landing.load_landing(con, landing_dir, REGISTRY)
        alone = _loaded(con)
    assert together == alone
    day = {d: _csv_day(d)[0] for d in range(1, 9)}
    # by hand: the ragged row and the bad timestamp where the file has them
    assert [
        r[:5] for r in together["rejected_rows"] if r[1].startswith("product/events/daily")
    ] == [
        ("events", day[5], 3, None, "ragged row: 2 fields, the header has 6"),
        ("events", day[6], 3, "occurred_at", "unparseable timestamp: yesterday"),
    ]
    # lines: day 3's second row after the two-line value, day 5's rows around the ragged one
    assert rows_of(together["events"], "c3-1") == [(day[3], 4)]
    assert rows_of(together["events"], "c5-1") == [(day[5], 4)]
    assert rows_of(together["events"], "c8-1") == [(day[8], 3)]
    assert rows_of(together["events_duplicates"], "c1-0") == [(day[2], 4)]
    posthog = sorted(
        (r[0], r[4], r[8]) for r in together["events"] if r[7].startswith("posthog/parquet/")
    )
    assert posthog == [
        (f"p{d}-{n}", T(2026, 7, d, 11), 1 + n) for d in range(1, 5) for n in range(2)
    ]
    amplitude = sorted(
        (r[0], r[7], r[8]) for r in together["events"] if r[7].startswith("amplitude/export_")
    )
    member = "amplitude/export_2026-07-{:02d}.zip!187520/187520_2026-07-{:02d}_{}#0.json.gz"
    assert amplitude == [
        (f"a{d}-{h}-{n}", member.format(d, d, h), 1 + n + ((d, h, n) == (2, 1, 1)))
        for d in (1, 2)
        for h in range(3)
        for n in range(2)
    ]
    assert [r[:5] for r in together["rejected_rows"] if r[0] == "amplitude_events"] == [
        ("amplitude_events", member.format(2, 2, 1), 2, None, "line is not a JSON object")
    ]
    landed = {r[1]: r[7:12] for r in together["landed_files"] if r[1] in day.values()}
    # rows landed, loaded, duplicate, filtered, quarantined
    assert landed == {
        day[1]: (3, 3, 0, 0, 0),
        day[2]: (3, 2, 1, 0, 0),
        day[3]: (3, 3, 0, 0, 0),
        day[4]: (3, 3, 0, 0, 0),
        day[5]: (4, 3, 0, 0, 1),
        day[6]: (3, 2, 0, 0, 1),
        day[7]: (2, 2, 0, 0, 0),
        day[8]: (2, 2, 0, 0, 0),
    }
