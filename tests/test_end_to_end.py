"""End-to-end correctness proof: the hand-made landing zone in tests/fixtures/landing_small.

The warehouse is built by the real daily job (fixture `built_small_warehouse`, tests/conftest.py)
with TTV_AS_OF=2026-06-01, and every expected number below was worked out by hand from
SPEC §3-§5 and config/ttv.yml; the arithmetic is in the comment beside each value.

Conventions used in the comments:
  * "as-of" is 2026-06-01 00:00 UTC; facts dated after it do not exist for this run.
  * durations are (t - start_at) in days; 2026 is not a leap year (February has 28 days).
  * a date-only value means 00:00 UTC; "+02:00" values are converted to UTC (minus 2 hours).
  * "N/11" in onboarding_progress of a sales-led account (Enterprise, Mid-Market, SMB): its two
    journeys (implementation, adoption) together hold 11 distinct milestones:
      contract_signed, kickoff, access_provisioned, configuration_complete, data_migrated,
      training_complete, first_production_use, value_achieved, first_login,
      first_meaningful_action, regular_usage.
    "N/5" for a PLG account: its one journey (product_led, SPEC §4.1) holds signed_up,
    first_login, first_meaningful_action, first_value, regular_usage.
  * segment groups (SPEC §4.1): `sales_led` = Enterprise + Mid-Market + SMB (10 accounts);
    PLG (A09, A10, A11) is never pooled with them.

The accounts (segment; what each one is for):
  A01 Northwind  Enterprise  kickoff 4 days before signature; every milestone reached; date-only
                             CRM values; renewal signed early -> renewed.
  A02 Contoso    Enterprise  parallel steps (training before data migration, first login before
                             kickoff); kickoff with a +02:00 offset; an expansion contract that
                             must not change first_term_arr; value after 100 days (>90).
  A03 Fabrikam   Enterprise  value_confirmed_at before signature -> data_issue value_before_start.
  A04 Globex     Mid-Market  overdue (120 days without value, target 60); login with +02:00.
  A05 Initech    Mid-Market  churned before value (censored at 45 days).
  A06 Umbrella   SMB         fast value (20.5 days), churned afterwards; regular_usage reached.
  A07 Hooli      SMB         still onboarding, not overdue (21 <= 30 days); its value_confirmed_at
                             (2026-06-05) is after as-of and must be ignored.
  A08 Stark      SMB         2025 cohort; value at exactly 30.0 days (band 30-60, half-open);
                             date-only signed_at; first term ended, renewal signed after as-of
                             (ignored) -> renewal_outcome unknown.
  A09 Pied Piper PLG         clock starts at first signed_up event (not created_at, not the
                             contract); first_value = later of project_created / teammate_invited;
                             events only in the .jsonl.gz file, one delivered twice in that file.
  A10 Dunder     PLG         no signed_up event -> starts at created_at (given with +02:00);
                             regular_usage NOT reached (no 3 days within 7); churned after value.
  A11 Vandelay   PLG         still onboarding (3.5 days <= 7); its teammate_invited is dated after
                             as-of, so first_value is not reached; events in the .parquet file.
  A12 Soylent    Mid-Market  value at exactly 60.0 days (band 60-90); churned_at and full_value_at
                             after as-of (both ignored -> renewal pending, no full value).
  A13 Initrode   Mid-Market  value at 30.5 days; renewed.

Event files (product/events/):
  2026_01.csv          9 rows; E0103 is delivered again in 2026_02.jsonl (cross-file duplicate).
  2026_02.jsonl        6 records; line 1 = E0103 again; line 3 = account A99 (unknown account).
  2026_03.csv          5 rows; physical line 4 (header is line 1) has occurred_at "last tuesday".
  plg_2026_01.jsonl.gz 7 records; lines 6 and 7 are the same event E0906.
  plg_2026_05.parquet  5 rows (all string columns); row 5 (E1104) is dated 2026-06-02 > as-of.

How the two binary files were generated (kept here, not as a script in the repo):

    import gzip, json, pyarrow as pa, pyarrow.parquet as pq
    d = "tests/fixtures/landing_small/product/events/"
    def ev(i, a, u, n, t, p=None):
        return {"event_id": i, "account_id": a, "user_id": u, "event_name": n,
                "occurred_at": t, "properties": p or {}}
    rows = [ev("E0901", "A09", "u0901", "signed_up", "2026-01-10T08:00:00Z", {"plan": "free"}),
            ev("E0902", "A09", "u0901", "login", "2026-01-10T22:00:00+02:00"),
            ev("E0903", "A09", "u0901", "project_created", "2026-01-11T08:00:00Z"),
            ev("E0904", "A09", "u0902", "signed_up", "2026-01-11T12:00:00Z", {"plan": "free"}),
            ev("E0905", "A09", "u0902", "login", "2026-01-12T08:00:00Z"),
            ev("E0906", "A09", "u0901", "teammate_invited", "2026-01-12T20:00:00Z"),
            ev("E0906", "A09", "u0901", "teammate_invited", "2026-01-12T20:00:00Z")]
    with open(d + "plg_2026_01.jsonl.gz", "wb") as f, \\
            gzip.GzipFile(filename="", mode="wb", fileobj=f, mtime=0) as g:
        g.write("".join(json.dumps(r) + "\\n" for r in rows).encode())
    prow = [("E0701", "A07", "u0701", "login", "2026-05-12T00:00:00Z", "{}"),
            ("E1101", "A11", "u1101", "signed_up", "2026-05-28T12:00:00Z", "{}"),
            ("E1102", "A11", "u1101", "login", "2026-05-29T00:00:00Z", "{}"),
            ("E1103", "A11", "u1101", "project_created", "2026-05-30T12:00:00Z", "{}"),
            ("E1104", "A11", "u1101", "teammate_invited", "2026-06-02T00:00:00Z", "{}")]
    cols = ["event_id", "account_id", "user_id", "event_name", "occurred_at", "properties"]
    pq.write_table(pa.table({c: pa.array([r[i] for r in prow], pa.string())
                             for i, c in enumerate(cols)}), d + "plg_2026_05.parquet")
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest

from dagster_project import paths
from tests.conftest import MARTS

AS_OF = dt.datetime(2026, 6, 1)


def T(s: str) -> dt.datetime:
    """A naive UTC timestamp from 'YYYY-MM-DD HH:MM'."""
    return dt.datetime.strptime(s, "%Y-%m-%d %H:%M")


def _norm(v):
    """Make DuckDB values comparable: aware timestamps -> naive UTC, Decimal -> float."""
    if isinstance(v, dt.datetime) and v.tzinfo is not None:
        return v.astimezone(dt.UTC).replace(tzinfo=None)
    if isinstance(v, Decimal):
        return float(v)
    return v


def rows(warehouse: Path, sql: str, params=None) -> list[dict]:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        cur = con.execute(sql, params or [])
        names = [d[0] for d in cur.description]
        return [{n: _norm(v) for n, v in zip(names, r, strict=False)} for r in cur.fetchall()]


def check(actual: dict, expected: dict, what: str) -> None:
    """Compare the expected columns; floats approximately, everything else exactly."""
    problems = []
    for col, exp in expected.items():
        got = actual[col]
        if isinstance(exp, float) and not isinstance(exp, bool):
            ok = got is not None and got == pytest.approx(exp, abs=1e-9)
        else:
            ok = got == exp
        if not ok:
            problems.append(f"{col}: expected {exp!r}, got {got!r}")
    assert not problems, f"{what}:\n  " + "\n  ".join(problems)


# --------------------------------------------------------------------------------------------
# raw.events and quarantine
# --------------------------------------------------------------------------------------------

# Every valid, distinct event dated before as-of (27):
#   2026_01.csv: E0101 E0102 E0103 E0201 E0501 E0601 E0602 E0603 E1201           (9)
#   2026_02.jsonl: E0202 E0203 E0204 E0401 (E0103 is a re-delivery, E9901 quarantined) (4)
#   2026_03.csv: E1001 E1002 E1003 E1301 (E1004 quarantined)                    (4)
#   plg_2026_01.jsonl.gz: E0901 E0902 E0903 E0904 E0905 E0906 (E0906 twice)     (6)
#   plg_2026_05.parquet: E0701 E1101 E1102 E1103 (+ E1104 dated after as-of)     (4)
#   9 + 4 + 4 + 6 + 4 = 27; delivered rows 9 + 6 + 5 + 7 + 5 = 32 = 27 + 1 (E1104)
#   + 2 duplicates + 2 quarantined.
EVENTS_BEFORE_AS_OF = {
    "E0101",
    "E0102",
    "E0103",
    "E0201",
    "E0501",
    "E0601",
    "E0602",
    "E0603",
    "E1201",
    "E0202",
    "E0203",
    "E0204",
    "E0401",
    "E1001",
    "E1002",
    "E1003",
    "E1301",
    "E0901",
    "E0902",
    "E0903",
    "E0904",
    "E0905",
    "E0906",
    "E0701",
    "E1101",
    "E1102",
    "E1103",
}


def test_raw_events_are_deduplicated_and_in_utc(built_small_warehouse):
    # raw.* stays in the run's working file; analysts get marts, quarantine and the accounting
    evs = rows(paths.working_warehouse_path(built_small_warehouse), "select * from raw.events")
    ids = [e["event_id"] for e in evs]
    assert len(ids) == len(set(ids)), "an event_id appears twice in raw.events"
    before = {e["event_id"] for e in evs if e["occurred_at"] < AS_OF}
    assert before == EVENTS_BEFORE_AS_OF  # 27 events, see the tally above
    # E1104 (2026-06-02) may be kept in raw or dropped at load; it must never reach the marts.
    assert set(ids) - EVENTS_BEFORE_AS_OF <= {"E1104"}
    assert len(evs) in (27, 28)
    # The quarantined rows and the unknown account never reach raw.events.
    assert "E1004" not in ids and "E9901" not in ids
    by_id = {e["event_id"]: e for e in evs}
    # "2026-02-16T14:00:00+02:00" -> 12:00 UTC
    assert by_id["E0401"]["occurred_at"] == T("2026-02-16 12:00")
    # "2026-01-10T22:00:00+02:00" -> 20:00 UTC (same UTC day)
    assert by_id["E0902"]["occurred_at"] == T("2026-01-10 20:00")
    assert by_id["E0102"]["occurred_at"] == T("2026-01-13 12:00")
    # Provenance of rows that were delivered once: physical line numbers.
    # 2026_03.csv: header = line 1, E1001 = 2, E1002 = 3, bad row = 4, E1003 = 5
    assert str(by_id["E1003"]["_file"]).endswith("product/events/2026_03.csv")
    assert by_id["E1003"]["_line"] == 5
    # 2026_02.jsonl: E0401 is the 6th record
    assert str(by_id["E0401"]["_file"]).endswith("product/events/2026_02.jsonl")
    assert by_id["E0401"]["_line"] == 6
    # parquet: E1103 is row 4
    assert str(by_id["E1103"]["_file"]).endswith("product/events/plg_2026_05.parquet")
    assert by_id["E1103"]["_line"] == 4


def test_quarantine_holds_exactly_the_two_bad_events(built_small_warehouse):
    q = rows(
        built_small_warehouse,
        "select source, file, line, column_name, reason, raw_record from quarantine.rejected_rows"
        " order by file, line",
    )
    # Only two rows are bad; duplicates and the post-as-of event are not rejections.
    assert len(q) == 2, q
    unknown, bad_ts = q  # '.../2026_02.jsonl' sorts before '.../2026_03.csv'
    assert unknown["file"] == "product/events/2026_02.jsonl"
    assert unknown["line"] == 3  # 3rd JSON record (JSON lines count from the first record)
    assert unknown["column_name"] == "account_id"
    assert "unknown account" in unknown["reason"].lower()
    assert "A99" in str(unknown["raw_record"])
    assert "event" in unknown["source"].lower()

    assert bad_ts["file"] == "product/events/2026_03.csv"
    assert bad_ts["line"] == 4  # header line 1, E1001 line 2, E1002 line 3, E1004 line 4
    assert bad_ts["column_name"] == "occurred_at"
    assert "timestamp" in bad_ts["reason"].lower()
    assert "last tuesday" in str(bad_ts["raw_record"])
    assert "event" in bad_ts["source"].lower()


# --------------------------------------------------------------------------------------------
# marts.account_ttv
# --------------------------------------------------------------------------------------------

ACCOUNT_TTV = {
    "A01": dict(
        segment="Enterprise",
        start_at=T("2026-01-05 12:00"),  # C01 new_business signed_at 2026-01-05T12:00:00Z
        cohort_month=dt.date(2026, 1, 1),
        cohort_quarter="2026-Q1",
        # first_value = later of the first project_created / teammate_invited:
        # project_created 01-13 12:00, teammate_invited 01-15 12:00
        first_value_at=T("2026-01-15 12:00"),
        ttfv_days=10.0,  # 01-15 12:00 - 01-05 12:00 = 10.0
        value_at=T("2026-02-20 00:00"),  # value_confirmed_at "2026-02-20" (date-only -> midnight)
        ttv_days=45.5,  # 02-20 00:00 - 01-05 12:00 = 26.5 (to 01-31 24:00) + 19 = 45.5
        full_value_at=T("2026-04-06 12:00"),
        time_to_full_value_days=91.0,  # 01-05 12:00 -> 04-06 12:00 = 26 + 28 + 31 + 6 = 91.0
        ttv_band="30-60",  # 45.5 in [30, 60)
        value_status="achieved",
        days_onboarding=45.5,  # = ttv_days
        onboarding_progress=1.0,  # 11/11: every journey milestone reached
        renewal_outcome="renewed",  # C02 renewal signed 2026-05-20 <= as-of
        first_term_arr=120000.0,  # C01
        data_issue=None,
        churn_reason=None,
        has_first_term=True,
    ),
    "A02": dict(
        segment="Enterprise",
        start_at=T("2026-01-10 00:00"),  # C03 signed_at
        cohort_month=dt.date(2026, 1, 1),
        cohort_quarter="2026-Q1",
        first_value_at=T("2026-02-09 00:00"),  # max(project_created 02-09, teammate 02-04) = 02-09
        ttfv_days=30.0,  # 02-09 - 01-10 = 21 + 9 = 30.0
        value_at=T("2026-04-20 00:00"),
        ttv_days=100.0,  # 01-10 -> 04-20 = 21 + 28 + 31 + 20 = 100.0
        full_value_at=None,
        time_to_full_value_days=None,
        ttv_band=">90",  # 100 >= 90
        value_status="achieved",
        days_onboarding=100.0,
        onboarding_progress=1.0,  # 11/11 (full_value is not a journey milestone)
        renewal_outcome="pending",  # no renewal, not churned, C03 end 2027-01-09 > as-of
        first_term_arr=90000.0,  # C03 new_business; C04 expansion (30000) is not the first term
        data_issue=None,
        churn_reason=None,
        has_first_term=True,
    ),
    "A03": dict(
        segment="Enterprise",
        start_at=T("2026-02-02 00:00"),  # C05 signed_at
        cohort_month=dt.date(2026, 2, 1),
        cohort_quarter="2026-Q1",
        first_value_at=None,  # no events
        ttfv_days=None,
        value_at=T("2026-01-28 00:00"),  # value_confirmed_at 2026-01-28, before the signature
        ttv_days=None,  # value before start: NULL, never -5.0
        full_value_at=None,
        time_to_full_value_days=None,
        ttv_band="data_issue",  # the value date is not trusted (SPEC §4.1), not 'not_reached'
        value_status="achieved",  # value_at is set, even with the data issue
        days_onboarding=None,  # = ttv_days, NULL with the data issue
        onboarding_progress=3 / 11,  # contract_signed, kickoff (01-20), value_achieved = 3/11
        renewal_outcome="pending",  # C05 end 2027-02-01 > as-of
        first_term_arr=150000.0,
        data_issue="value_before_start",
        churn_reason=None,
        has_first_term=True,
    ),
    "A04": dict(
        segment="Mid-Market",
        start_at=T("2026-02-01 00:00"),
        cohort_month=dt.date(2026, 2, 1),
        cohort_quarter="2026-Q1",
        first_value_at=None,
        ttfv_days=None,
        value_at=None,
        ttv_days=None,
        full_value_at=None,
        time_to_full_value_days=None,
        ttv_band="not_reached",
        value_status="overdue",  # 120.0 > Mid-Market target 60
        days_onboarding=120.0,  # 02-01 -> 06-01 = 28 + 31 + 30 + 31 = 120.0
        onboarding_progress=4 / 11,  # contract_signed, kickoff, access_provisioned, first_login
        renewal_outcome="pending",  # C06 end 2027-01-31 > as-of
        first_term_arr=40000.0,
        data_issue=None,
        churn_reason=None,
        has_first_term=True,
    ),
    "A05": dict(
        segment="Mid-Market",
        start_at=T("2026-01-15 00:00"),
        cohort_month=dt.date(2026, 1, 1),
        cohort_quarter="2026-Q1",
        first_value_at=None,  # only a login
        ttfv_days=None,
        value_at=None,
        ttv_days=None,
        full_value_at=None,
        time_to_full_value_days=None,
        ttv_band="not_reached",
        value_status="churned_before_value",  # churned 2026-03-01 <= as-of, no value
        days_onboarding=45.0,  # churned_at 03-01 - 01-15 = 16 + 28 + 1 = 45.0
        onboarding_progress=3 / 11,  # contract_signed, kickoff, first_login
        renewal_outcome="churned",  # churned_at set, no renewal
        first_term_arr=50000.0,
        data_issue=None,
        churn_reason="budget cuts",  # churned 03-01 <= as-of
        has_first_term=True,
    ),
    "A06": dict(
        segment="SMB",
        start_at=T("2026-01-20 00:00"),
        cohort_month=dt.date(2026, 1, 1),
        cohort_quarter="2026-Q1",
        # first_value = later of the first project_created / teammate_invited:
        # project_created 01-25 00:00, teammate_invited 01-24 12:00
        first_value_at=T("2026-01-25 00:00"),
        ttfv_days=5.0,  # 01-25 - 01-20 = 5.0
        value_at=T("2026-02-09 12:00"),
        ttv_days=20.5,  # 01-20 -> 02-09 12:00 = 11 + 9.5 = 20.5
        full_value_at=None,
        time_to_full_value_days=None,
        ttv_band="<30",
        value_status="achieved",  # churned later (05-01) but after reaching value
        days_onboarding=20.5,
        # contract_signed, kickoff, first_login, first_meaningful_action, regular_usage,
        # value_achieved = 6/11
        onboarding_progress=6 / 11,
        renewal_outcome="churned",  # churned_at 2026-05-01, no renewal
        first_term_arr=12000.5,
        data_issue=None,
        churn_reason="switched vendor",  # churned 05-01 <= as-of
        has_first_term=True,
    ),
    "A07": dict(
        segment="SMB",
        start_at=T("2026-05-11 00:00"),
        cohort_month=dt.date(2026, 5, 1),
        cohort_quarter="2026-Q2",
        first_value_at=None,
        ttfv_days=None,
        value_at=None,  # value_confirmed_at 2026-06-05 is after as-of: ignored
        ttv_days=None,
        full_value_at=None,
        time_to_full_value_days=None,
        ttv_band="not_reached",
        value_status="in_progress",  # 21.0 <= SMB target 30
        days_onboarding=21.0,  # 05-11 -> 06-01 = 21.0
        onboarding_progress=3 / 11,  # contract_signed, kickoff (05-13), first_login (05-12)
        renewal_outcome="pending",  # C09 end 2027-05-10 > as-of
        first_term_arr=10000.0,
        data_issue=None,
        churn_reason=None,
        has_first_term=True,
    ),
    "A08": dict(
        segment="SMB",
        start_at=T("2025-11-03 00:00"),  # signed_at "2025-11-03" (date-only)
        cohort_month=dt.date(2025, 11, 1),
        cohort_quarter="2025-Q4",
        first_value_at=None,
        ttfv_days=None,
        value_at=T("2025-12-03 00:00"),
        ttv_days=30.0,  # 11-03 -> 12-03 = 30.0
        full_value_at=None,
        time_to_full_value_days=None,
        ttv_band="30-60",  # 30 is in [30, 60), not in [0, 30)
        value_status="achieved",
        days_onboarding=30.0,
        onboarding_progress=3 / 11,  # contract_signed, kickoff, value_achieved
        # first term ended 2026-04-30 <= as-of, C11 renewal signed 2026-06-10 > as-of (ignored),
        # never churned -> unknown
        renewal_outcome="unknown",
        first_term_arr=15000.0,
        data_issue=None,
        churn_reason=None,
        has_first_term=True,
    ),
    "A09": dict(
        segment="PLG",
        start_at=T("2026-01-10 08:00"),  # first signed_up (E0901); not created_at 01-08, not C12
        cohort_month=dt.date(2026, 1, 1),
        cohort_quarter="2026-Q1",
        # first_value = later of the first project_created / teammate_invited:
        # project_created 01-11 08:00, teammate_invited 01-12 20:00
        first_value_at=T("2026-01-12 20:00"),
        ttfv_days=2.5,  # 01-12 20:00 - 01-10 08:00 = 2 days 12 h = 2.5
        value_at=T("2026-01-12 20:00"),  # PLG value milestone = first_value
        ttv_days=2.5,
        full_value_at=None,
        time_to_full_value_days=None,
        ttv_band="<30",
        value_status="achieved",
        days_onboarding=2.5,
        # product_led: signed_up, first_login, first_meaningful_action, first_value,
        # regular_usage all reached = 5/5 (SPEC §4.1: no CRM milestone PLG never has)
        onboarding_progress=1.0,
        renewal_outcome="renewed",  # C13 renewal signed 2026-02-09
        first_term_arr=1200.0,  # C12
        data_issue=None,
        churn_reason=None,
        has_first_term=True,
    ),
    "A10": dict(
        segment="PLG",
        start_at=T("2026-03-02 08:00"),  # no signed_up -> created_at "2026-03-02T10:00:00+02:00"
        cohort_month=dt.date(2026, 3, 1),
        cohort_quarter="2026-Q1",
        # first_value = later of the first project_created / teammate_invited:
        # project_created 03-04 08:00, teammate_invited 03-12 08:00
        first_value_at=T("2026-03-12 08:00"),
        ttfv_days=10.0,  # 03-12 08:00 - 03-02 08:00 = 10.0
        value_at=T("2026-03-12 08:00"),
        ttv_days=10.0,
        full_value_at=None,
        time_to_full_value_days=None,
        ttv_band="<30",  # 10 < 30 (late for PLG's 7-day target, but the band is absolute)
        value_status="achieved",
        days_onboarding=10.0,
        # product_led: first_login, first_meaningful_action, first_value = 3/5 (signed_up and
        # regular_usage not reached)
        onboarding_progress=3 / 5,
        renewal_outcome="churned",  # churned_at 2026-05-15, no contract/renewal
        first_term_arr=None,  # no new_business contract
        data_issue=None,
        churn_reason="no longer needed",  # churned 05-15 <= as-of
        has_first_term=False,  # no new_business contract: a free account
    ),
    "A11": dict(
        segment="PLG",
        start_at=T("2026-05-28 12:00"),  # first signed_up E1101
        cohort_month=dt.date(2026, 5, 1),
        cohort_quarter="2026-Q2",
        first_value_at=None,  # teammate_invited E1104 is dated 2026-06-02 > as-of: ignored
        ttfv_days=None,
        value_at=None,
        ttv_days=None,
        full_value_at=None,
        time_to_full_value_days=None,
        ttv_band="not_reached",
        value_status="in_progress",  # 3.5 <= PLG target 7
        days_onboarding=3.5,  # 05-28 12:00 -> 06-01 00:00 = 3.5
        # product_led: signed_up, first_login, first_meaningful_action, regular_usage = 4/5
        # (first_value not reached)
        onboarding_progress=4 / 5,
        renewal_outcome="unknown",  # no contract, not churned
        first_term_arr=None,
        data_issue=None,
        churn_reason=None,
        has_first_term=False,  # no contract at all
    ),
    "A12": dict(
        segment="Mid-Market",
        start_at=T("2026-01-26 00:00"),
        cohort_month=dt.date(2026, 1, 1),
        cohort_quarter="2026-Q1",
        first_value_at=None,  # only a login
        ttfv_days=None,
        value_at=T("2026-03-27 00:00"),
        ttv_days=60.0,  # 01-26 -> 03-27 = 5 + 28 + 27 = 60.0
        full_value_at=None,  # full_value_at 2026-07-15 > as-of: ignored
        time_to_full_value_days=None,
        ttv_band="60-90",  # 60 is in [60, 90)
        value_status="achieved",
        days_onboarding=60.0,
        onboarding_progress=4 / 11,  # contract_signed, kickoff, first_login, value_achieved
        renewal_outcome="pending",  # churned_at 2026-07-01 > as-of is ignored; end 2027-01-25
        first_term_arr=60000.0,
        data_issue=None,
        # "budget cuts" belongs to the churn of 07-01, after as-of: not known yet
        churn_reason=None,
        has_first_term=True,
    ),
    "A13": dict(
        segment="Mid-Market",
        start_at=T("2026-03-16 00:00"),
        cohort_month=dt.date(2026, 3, 1),
        cohort_quarter="2026-Q1",
        first_value_at=None,
        ttfv_days=None,
        value_at=T("2026-04-15 12:00"),
        ttv_days=30.5,  # 03-16 -> 04-15 12:00 = 15 + 15.5 = 30.5
        full_value_at=None,
        time_to_full_value_days=None,
        ttv_band="30-60",
        value_status="achieved",
        days_onboarding=30.5,
        onboarding_progress=4 / 11,  # contract_signed, kickoff, first_login, value_achieved
        renewal_outcome="renewed",  # C16 renewal signed 2026-05-25
        first_term_arr=45000.0,
        data_issue=None,
        churn_reason=None,
        has_first_term=True,
    ),
}


def test_account_ttv_has_one_row_per_account(built_small_warehouse):
    sql = "select account_id from marts.account_ttv"
    ids = [r["account_id"] for r in rows(built_small_warehouse, sql)]
    assert sorted(ids) == sorted(ACCOUNT_TTV)  # 13 accounts, none created after as-of


@pytest.mark.parametrize("account_id", sorted(ACCOUNT_TTV))
def test_account_ttv(built_small_warehouse, account_id):
    (row,) = rows(
        built_small_warehouse, "select * from marts.account_ttv where account_id = ?", [account_id]
    )
    check(row, ACCOUNT_TTV[account_id], f"account_ttv {account_id}")


# --------------------------------------------------------------------------------------------
# marts.account_milestones
# --------------------------------------------------------------------------------------------

# (milestone, milestone_order, source, owner), in config/ttv.yml order
CATALOGUE = [
    ("contract_signed", 1, "crm", "sales"),
    ("signed_up", 2, "product", "customer"),
    ("kickoff", 3, "crm", "csm"),
    ("access_provisioned", 4, "crm", "it"),
    ("first_login", 5, "product", "customer"),
    ("configuration_complete", 6, "crm", "implementation"),
    ("first_meaningful_action", 7, "product", "customer"),
    ("data_migrated", 8, "crm", "implementation"),
    ("training_complete", 9, "crm", "csm"),
    ("first_value", 10, "product", "customer"),
    ("regular_usage", 11, "product", "customer"),
    ("first_production_use", 12, "crm", "customer"),
    ("value_achieved", 13, "crm", "csm"),
    ("full_value", 14, "crm", "csm"),
]

PENDING = (None, None, None, "pending")

# milestone -> (reached_at, days_from_start, target_days, status); all 14 milestones per account
MILESTONES = {
    # A01: start 2026-01-05 12:00, Enterprise target 90 on value_achieved.
    "A01": {
        "contract_signed": (T("2026-01-05 12:00"), 0.0, None, "reached"),
        "signed_up": PENDING,  # no signed_up event; no target -> pending
        # 01-01 12:00 - 01-05 12:00 = -4.0
        "kickoff": (T("2026-01-01 12:00"), -4.0, None, "reached"),
        # "2026-01-10": 4.5 days
        "access_provisioned": (T("2026-01-10 00:00"), 4.5, None, "reached"),
        "first_login": (T("2026-01-12 12:00"), 7.0, None, "reached"),  # E0101
        "configuration_complete": (T("2026-01-20 12:00"), 15.0, None, "reached"),
        "first_meaningful_action": (T("2026-01-13 12:00"), 8.0, None, "reached"),  # E0102
        "data_migrated": (T("2026-02-04 12:00"), 30.0, None, "reached"),  # 26 + 4 = 30.0
        "training_complete": (T("2026-02-09 12:00"), 35.0, None, "reached"),  # 26 + 9 = 35.0
        "first_value": (T("2026-01-15 12:00"), 10.0, None, "reached"),  # later of E0102 and E0103
        # activity days 01-12, 01-13, 01-15 (span 4 days <= 7): 3rd day's first event 01-15 12:00
        "regular_usage": (T("2026-01-15 12:00"), 10.0, None, "reached"),
        "first_production_use": (T("2026-02-14 12:00"), 40.0, None, "reached"),  # 26 + 14 = 40.0
        "value_achieved": (T("2026-02-20 00:00"), 45.5, 90, "reached"),  # 26.5 + 19 = 45.5
        "full_value": (T("2026-04-06 12:00"), 91.0, None, "reached"),  # 26 + 28 + 31 + 6 = 91.0
    },
    # A03: start 2026-02-02 00:00, Enterprise target 90, value confirmed before the signature.
    "A03": {
        "contract_signed": (T("2026-02-02 00:00"), 0.0, None, "reached"),
        "signed_up": PENDING,
        "kickoff": (T("2026-01-20 00:00"), -13.0, None, "reached"),  # 01-20 - 02-02 = -13.0
        "access_provisioned": PENDING,
        "first_login": PENDING,
        "configuration_complete": PENDING,
        "first_meaningful_action": PENDING,
        "data_migrated": PENDING,
        "training_complete": PENDING,
        "first_value": PENDING,
        "regular_usage": PENDING,
        "first_production_use": PENDING,
        # value milestone before start: days_from_start NULL (not -5.0), still reached
        "value_achieved": (T("2026-01-28 00:00"), None, 90, "reached"),
        "full_value": PENDING,
    },
    # A09 (PLG): start 2026-01-10 08:00 (first signed_up), PLG target 7 on first_value.
    "A09": {
        "contract_signed": (T("2026-01-10 20:00"), 0.5, None, "reached"),  # C12: 12 h after sign-up
        "signed_up": (T("2026-01-10 08:00"), 0.0, None, "reached"),  # E0901 (E0904 is later)
        "kickoff": PENDING,
        "access_provisioned": PENDING,
        # E0902 22:00+02:00 = 20:00 UTC
        "first_login": (T("2026-01-10 20:00"), 0.5, None, "reached"),
        "configuration_complete": PENDING,
        "first_meaningful_action": (T("2026-01-11 08:00"), 1.0, None, "reached"),  # E0903
        "data_migrated": PENDING,
        "training_complete": PENDING,
        "first_value": (T("2026-01-12 20:00"), 2.5, 7, "reached"),  # later of E0903, E0906
        # activity days 01-10, 01-11, 01-12: first event of the 3rd day = E0905 01-12 08:00 = 2.0
        "regular_usage": (T("2026-01-12 08:00"), 2.0, None, "reached"),
        "first_production_use": PENDING,
        "value_achieved": PENDING,  # not PLG's value milestone: no target -> pending
        "full_value": PENDING,
    },
}

# Single milestones of other accounts: (account, milestone) -> expected tuple
MILESTONE_SPOTS = {
    # A02 kickoff "2026-01-20T02:00:00+02:00" = 01-20 00:00 UTC; - 01-10 = 10.0
    ("A02", "kickoff"): (T("2026-01-20 00:00"), 10.0, None, "reached"),
    # A02 activity days 01-15, 02-04, 02-06, 02-09: first 3 within 7 days = 02-04/02-06/02-09
    # -> first event of 02-09 (E0204 00:00) = 30.0
    ("A02", "regular_usage"): (T("2026-02-09 00:00"), 30.0, None, "reached"),
    # A04 kickoff "2026-02-06" date-only -> 5.0;
    # login "2026-02-16T14:00:00+02:00" -> 12:00 UTC -> 15.5
    ("A04", "kickoff"): (T("2026-02-06 00:00"), 5.0, None, "reached"),
    ("A04", "first_login"): (T("2026-02-16 12:00"), 15.5, None, "reached"),
    # A04 not reached, days_onboarding 120.0 > target 60 -> overdue
    ("A04", "value_achieved"): (None, None, 60, "overdue"),
    ("A04", "first_value"): PENDING,  # not Mid-Market's value milestone: no target
    # A05 churned 03-01 <= as-of without value: churned, not pending nor overdue (SPEC §4.1)
    ("A05", "value_achieved"): (None, None, 60, "churned"),
    ("A05", "access_provisioned"): (None, None, None, "churned"),
    # A06 churned 05-01 after reaching value: what it never reached is churned
    ("A06", "access_provisioned"): (None, None, None, "churned"),
    ("A06", "value_achieved"): (T("2026-02-09 12:00"), 20.5, 30, "reached"),
    # A07 value_confirmed_at 2026-06-05 > as-of: not reached; 21.0 <= 30 -> pending
    ("A07", "value_achieved"): (None, None, 30, "pending"),
    ("A07", "first_login"): (T("2026-05-12 00:00"), 1.0, None, "reached"),  # parquet row 1
    # A10 has no signed_up event; it churned 05-15 <= as-of
    ("A10", "signed_up"): (None, None, None, "churned"),
    ("A10", "first_value"): (T("2026-03-12 08:00"), 10.0, 7, "reached"),
    # A10 activity days 03-03, 03-04, 03-12: 03-03..03-12 spans 10 days -> never 3 within 7;
    # the account churned 05-15 -> churned
    ("A10", "regular_usage"): (None, None, None, "churned"),
    # A11: teammate_invited on 06-02 is after as-of -> first_value not reached; 3.5 <= 7 -> pending
    ("A11", "first_value"): (None, None, 7, "pending"),
    # A11 activity days 05-28, 05-29, 05-30 -> first event of 05-30 (E1103 12:00) = 2.0
    ("A11", "regular_usage"): (T("2026-05-30 12:00"), 2.0, None, "reached"),
    # A12 full_value_at 2026-07-15 > as-of: not reached; its churn (07-01) is after as-of, so
    # pending, not churned
    ("A12", "full_value"): PENDING,
}


def _milestone_tuple(r: dict) -> tuple:
    return (r["reached_at"], r["days_from_start"], r["target_days"], r["status"])


def _same_milestone(got: tuple, exp: tuple) -> bool:
    return (
        got[0] == exp[0]
        and (got[1] == exp[1] if exp[1] is None else got[1] == pytest.approx(exp[1], abs=1e-9))
        and (got[2] == exp[2] if exp[2] is None else _norm(got[2]) == pytest.approx(exp[2]))
        and got[3] == exp[3]
    )


def test_account_milestones_shape(built_small_warehouse):
    am = rows(
        built_small_warehouse,
        "select account_id, milestone, milestone_order, source, owner"
        " from marts.account_milestones",
    )
    assert len(am) == 13 * 14  # 13 accounts x 14 catalogue milestones
    catalogue = {m: (o, s, w) for m, o, s, w in CATALOGUE}
    for r in am:
        assert (r["milestone_order"], r["source"], r["owner"]) == catalogue[r["milestone"]], r
    per_account = {}
    for r in am:
        per_account.setdefault(r["account_id"], set()).add(r["milestone"])
    assert all(ms == set(catalogue) for ms in per_account.values())


@pytest.mark.parametrize("account_id", sorted(MILESTONES))
def test_account_milestones_full(built_small_warehouse, account_id):
    got = {
        r["milestone"]: _milestone_tuple(r)
        for r in rows(
            built_small_warehouse,
            "select * from marts.account_milestones where account_id = ?",
            [account_id],
        )
    }
    exp = MILESTONES[account_id]
    assert set(got) == set(exp)
    bad = {m: (got[m], exp[m]) for m in exp if not _same_milestone(got[m], exp[m])}
    assert not bad, f"{account_id} (got, expected): {bad}"


def test_account_milestones_spots(built_small_warehouse):
    got = {
        (r["account_id"], r["milestone"]): _milestone_tuple(r)
        for r in rows(built_small_warehouse, "select * from marts.account_milestones")
    }
    bad = {k: (got[k], e) for k, e in MILESTONE_SPOTS.items() if not _same_milestone(got[k], e)}
    assert not bad, f"(got, expected): {bad}"


# --------------------------------------------------------------------------------------------
# marts.journey_steps
# --------------------------------------------------------------------------------------------

IMPL = "implementation"
ADOP = "adoption"
PLED = "product_led"

# (journey, step, owner, started_at, ended_at, duration_days, in_parallel), in step order.
JOURNEY_STEPS = {
    # A01: start 01-05 12:00, kickoff 4 days before it.
    "A01": [
        # kickoff 01-01 12:00 < start 01-05 12:00: parallel, 0
        (
            IMPL,
            "contract_signed -> kickoff",
            "csm",
            T("2026-01-05 12:00"),
            T("2026-01-01 12:00"),
            0.0,
            True,
        ),
        # started = max(start, kickoff) = 01-05 12:00; 01-10 00:00 - 01-05 12:00 = 4.5
        (
            IMPL,
            "kickoff -> access_provisioned",
            "it",
            T("2026-01-05 12:00"),
            T("2026-01-10 00:00"),
            4.5,
            False,
        ),
        # 01-20 12:00 - 01-10 00:00 = 10.5
        (
            IMPL,
            "access_provisioned -> configuration_complete",
            "implementation",
            T("2026-01-10 00:00"),
            T("2026-01-20 12:00"),
            10.5,
            False,
        ),
        # 02-04 12:00 - 01-20 12:00 = 15.0
        (
            IMPL,
            "configuration_complete -> data_migrated",
            "implementation",
            T("2026-01-20 12:00"),
            T("2026-02-04 12:00"),
            15.0,
            False,
        ),
        # 02-09 12:00 - 02-04 12:00 = 5.0
        (
            IMPL,
            "data_migrated -> training_complete",
            "csm",
            T("2026-02-04 12:00"),
            T("2026-02-09 12:00"),
            5.0,
            False,
        ),
        # 02-14 12:00 - 02-09 12:00 = 5.0
        (
            IMPL,
            "training_complete -> first_production_use",
            "customer",
            T("2026-02-09 12:00"),
            T("2026-02-14 12:00"),
            5.0,
            False,
        ),
        # 02-20 00:00 - 02-14 12:00 = 5.5     (sum 0 + 4.5 + 10.5 + 15 + 5 + 5 + 5.5 = 45.5 = ttv)
        (
            IMPL,
            "first_production_use -> value_achieved",
            "csm",
            T("2026-02-14 12:00"),
            T("2026-02-20 00:00"),
            5.5,
            False,
        ),
        (
            ADOP,
            "contract_signed -> kickoff",
            "csm",
            T("2026-01-05 12:00"),
            T("2026-01-01 12:00"),
            0.0,
            True,
        ),
        # started = max(start 01-05 12:00, kickoff 01-01 12:00); 01-12 12:00 - 01-05 12:00 = 7.0
        (
            ADOP,
            "kickoff -> first_login",
            "customer",
            T("2026-01-05 12:00"),
            T("2026-01-12 12:00"),
            7.0,
            False,
        ),
        # 01-13 12:00 - 01-12 12:00 = 1.0
        (
            ADOP,
            "first_login -> first_meaningful_action",
            "customer",
            T("2026-01-12 12:00"),
            T("2026-01-13 12:00"),
            1.0,
            False,
        ),
        # 01-15 12:00 - 01-13 12:00 = 2.0
        (
            ADOP,
            "first_meaningful_action -> regular_usage",
            "customer",
            T("2026-01-13 12:00"),
            T("2026-01-15 12:00"),
            2.0,
            False,
        ),
        # 02-20 00:00 - 01-15 12:00 = 16.5 + 19 = 35.5   (sum 0 + 7 + 1 + 2 + 35.5 = 45.5)
        (
            ADOP,
            "regular_usage -> value_achieved",
            "csm",
            T("2026-01-15 12:00"),
            T("2026-02-20 00:00"),
            35.5,
            False,
        ),
    ],
    # A02: start 01-10 00:00; training (03-11) before data migration (03-21); login (01-15)
    # before kickoff (01-20).
    "A02": [
        (
            IMPL,
            "contract_signed -> kickoff",
            "csm",
            T("2026-01-10 00:00"),
            T("2026-01-20 00:00"),
            10.0,
            False,
        ),
        (
            IMPL,
            "kickoff -> access_provisioned",
            "it",
            T("2026-01-20 00:00"),
            T("2026-01-25 00:00"),
            5.0,
            False,
        ),
        # 02-19 - 01-25 = 6 + 19 = 25.0
        (
            IMPL,
            "access_provisioned -> configuration_complete",
            "implementation",
            T("2026-01-25 00:00"),
            T("2026-02-19 00:00"),
            25.0,
            False,
        ),
        # 03-21 - 02-19 = 9 + 21 = 30.0
        (
            IMPL,
            "configuration_complete -> data_migrated",
            "implementation",
            T("2026-02-19 00:00"),
            T("2026-03-21 00:00"),
            30.0,
            False,
        ),
        # training 03-11 < started 03-21 (data_migrated): parallel, 0
        (
            IMPL,
            "data_migrated -> training_complete",
            "csm",
            T("2026-03-21 00:00"),
            T("2026-03-11 00:00"),
            0.0,
            True,
        ),
        # started = latest earlier milestone = data_migrated 03-21 (not training 03-11);
        # 04-10 - 03-21 = 10 + 10 = 20.0
        (
            IMPL,
            "training_complete -> first_production_use",
            "customer",
            T("2026-03-21 00:00"),
            T("2026-04-10 00:00"),
            20.0,
            False,
        ),
        # 04-20 - 04-10 = 10.0     (sum 10 + 5 + 25 + 30 + 0 + 20 + 10 = 100 = ttv)
        (
            IMPL,
            "first_production_use -> value_achieved",
            "csm",
            T("2026-04-10 00:00"),
            T("2026-04-20 00:00"),
            10.0,
            False,
        ),
        (
            ADOP,
            "contract_signed -> kickoff",
            "csm",
            T("2026-01-10 00:00"),
            T("2026-01-20 00:00"),
            10.0,
            False,
        ),
        # first_login 01-15 < started 01-20 (kickoff): parallel, 0
        (
            ADOP,
            "kickoff -> first_login",
            "customer",
            T("2026-01-20 00:00"),
            T("2026-01-15 00:00"),
            0.0,
            True,
        ),
        # started = max(01-10, 01-20, 01-15) = 01-20; project_created 02-09 - 01-20 = 20.0
        (
            ADOP,
            "first_login -> first_meaningful_action",
            "customer",
            T("2026-01-20 00:00"),
            T("2026-02-09 00:00"),
            20.0,
            False,
        ),
        # regular_usage 02-09 00:00 == started 02-09 00:00: 0, not parallel (equal)
        (
            ADOP,
            "first_meaningful_action -> regular_usage",
            "customer",
            T("2026-02-09 00:00"),
            T("2026-02-09 00:00"),
            0.0,
            False,
        ),
        # 04-20 - 02-09 = 19 + 31 + 20 = 70.0   (sum 10 + 0 + 20 + 0 + 70 = 100)
        (
            ADOP,
            "regular_usage -> value_achieved",
            "csm",
            T("2026-02-09 00:00"),
            T("2026-04-20 00:00"),
            70.0,
            False,
        ),
    ],
    # PLG accounts follow only product_led (SPEC §4.1): signed_up, first_login,
    # first_meaningful_action, first_value, regular_usage; no CRM milestones.
    # A09: start = signed_up 01-10 08:00; login 01-10 20:00; project 01-11 08:00;
    # first_value 01-12 20:00 (teammate_invited); regular_usage 01-12 08:00.
    "A09": [
        # 01-10 20:00 - 01-10 08:00 = 0.5
        (
            PLED,
            "signed_up -> first_login",
            "customer",
            T("2026-01-10 08:00"),
            T("2026-01-10 20:00"),
            0.5,
            False,
        ),
        # 01-11 08:00 - 01-10 20:00 = 0.5
        (
            PLED,
            "first_login -> first_meaningful_action",
            "customer",
            T("2026-01-10 20:00"),
            T("2026-01-11 08:00"),
            0.5,
            False,
        ),
        # 01-12 20:00 - 01-11 08:00 = 1.5
        (
            PLED,
            "first_meaningful_action -> first_value",
            "customer",
            T("2026-01-11 08:00"),
            T("2026-01-12 20:00"),
            1.5,
            False,
        ),
        # regular_usage 01-12 08:00 < started 01-12 20:00 (first_value): parallel, 0
        # (sum 0.5 + 0.5 + 1.5 + 0 = 2.5 = ttv_days)
        (
            PLED,
            "first_value -> regular_usage",
            "customer",
            T("2026-01-12 20:00"),
            T("2026-01-12 08:00"),
            0.0,
            True,
        ),
    ],
    # A10: no signed_up event, the clock starts at created_at 03-02 08:00: the journey's first
    # milestone is named `start`. login 03-03 20:00, project 03-04 08:00, first_value 03-12 08:00,
    # regular_usage never.
    "A10": [
        # 03-03 20:00 - 03-02 08:00 = 1.5
        (
            PLED,
            "start -> first_login",
            "customer",
            T("2026-03-02 08:00"),
            T("2026-03-03 20:00"),
            1.5,
            False,
        ),
        # 03-04 08:00 - 03-03 20:00 = 0.5
        (
            PLED,
            "first_login -> first_meaningful_action",
            "customer",
            T("2026-03-03 20:00"),
            T("2026-03-04 08:00"),
            0.5,
            False,
        ),
        # 03-12 08:00 - 03-04 08:00 = 8.0   (sum 1.5 + 0.5 + 8 = 10.0 = ttv_days)
        (
            PLED,
            "first_meaningful_action -> first_value",
            "customer",
            T("2026-03-04 08:00"),
            T("2026-03-12 08:00"),
            8.0,
            False,
        ),
        (PLED, "first_value -> regular_usage", "customer", T("2026-03-12 08:00"), None, None, None),
    ],
    # A11: start = signed_up 05-28 12:00; login 05-29 00:00; project 05-30 12:00; first_value
    # not reached (its teammate_invited is after as-of); regular_usage 05-30 12:00.
    "A11": [
        (
            PLED,
            "signed_up -> first_login",
            "customer",
            T("2026-05-28 12:00"),
            T("2026-05-29 00:00"),
            0.5,
            False,
        ),
        # 05-30 12:00 - 05-29 00:00 = 1.5
        (
            PLED,
            "first_login -> first_meaningful_action",
            "customer",
            T("2026-05-29 00:00"),
            T("2026-05-30 12:00"),
            1.5,
            False,
        ),
        (
            PLED,
            "first_meaningful_action -> first_value",
            "customer",
            T("2026-05-30 12:00"),
            None,
            None,
            None,
        ),
        # first_value skipped: the step starts from first_meaningful_action 05-30 12:00 and ends
        # at the same moment: 0 days, not parallel   (sum 0.5 + 1.5 + 0 = 2.0)
        (
            PLED,
            "first_value -> regular_usage",
            "customer",
            T("2026-05-30 12:00"),
            T("2026-05-30 12:00"),
            0.0,
            False,
        ),
    ],
}

# from_milestone (SPEC §4.1): the earlier milestone whose time is started_at, the later one in
# journey order on ties; `start` when the clock started at created_at.
FROM_MILESTONES = {
    # A01 implementation: kickoff (01-01 12:00) is before the start (01-05 12:00), so the
    # access step starts from contract_signed, not from the kickoff it is labelled with.
    ("A01", IMPL, "kickoff -> access_provisioned"): "contract_signed",
    ("A01", IMPL, "access_provisioned -> configuration_complete"): "access_provisioned",
    # A02: training (03-11) before data migration (03-21): first_production_use starts from
    # data_migrated, not from the training_complete it is labelled with
    ("A02", IMPL, "training_complete -> first_production_use"): "data_migrated",
    # A02 adoption: login (01-15) before kickoff (01-20): the next step starts from kickoff
    ("A02", ADOP, "first_login -> first_meaningful_action"): "kickoff",
    # A02 adoption: regular_usage 02-09 00:00 ties with first_meaningful_action 02-09 00:00:
    # the value step starts from the later one in journey order, regular_usage
    ("A02", ADOP, "regular_usage -> value_achieved"): "regular_usage",
    # A06 implementation: access ... first_production_use never reached (skipped): value
    # (02-09 12:00) is measured from kickoff 01-22, 18.5 days
    ("A06", IMPL, "first_production_use -> value_achieved"): "kickoff",
    ("A09", PLED, "signed_up -> first_login"): "signed_up",
    # A09: regular_usage (01-12 08:00) ran in parallel, from first_value (01-12 20:00)
    ("A09", PLED, "first_value -> regular_usage"): "first_value",
    ("A10", PLED, "start -> first_login"): "start",
    ("A10", PLED, "first_value -> regular_usage"): "first_value",
    # A11: first_value skipped -> from first_meaningful_action
    ("A11", PLED, "first_value -> regular_usage"): "first_meaningful_action",
}


def _steps(warehouse: Path, account_id: str) -> list[dict]:
    return rows(
        warehouse,
        "select * from marts.journey_steps where account_id = ? order by journey desc, step_order",
        [account_id],
    )  # 'implementation' > 'adoption': implementation first


def test_journey_steps_shape(built_small_warehouse):
    js = rows(built_small_warehouse, "select account_id, journey, step from marts.journey_steps")
    # Only the journeys each segment follows (SPEC §4.1): 10 sales-led accounts x (7
    # implementation + 5 adoption steps) + 3 PLG accounts x 4 product_led steps = 120 + 12
    assert len(js) == 10 * 12 + 3 * 4
    counts = {}
    for r in js:
        counts[(r["account_id"], r["journey"])] = counts.get((r["account_id"], r["journey"]), 0) + 1
    plg = {"A09", "A10", "A11"}
    assert {k: n for k, n in counts.items() if k[0] in plg} == {(a, PLED): 4 for a in plg}
    assert {(j, n) for (a, j), n in counts.items() if a not in plg} == {(IMPL, 7), (ADOP, 5)}
    assert len([k for k in counts if k[0] not in plg]) == 20


@pytest.mark.parametrize("key", sorted(FROM_MILESTONES))
def test_journey_step_from_milestone(built_small_warehouse, key):
    account_id, journey, step = key
    (row,) = rows(
        built_small_warehouse,
        "select from_milestone from marts.journey_steps where account_id = ? and journey = ?"
        " and step = ?",
        [account_id, journey, step],
    )
    assert row["from_milestone"] == FROM_MILESTONES[key]


def test_journey_step_from_milestone_is_always_reached(built_small_warehouse):
    # 104 steps of the first edition named a "from" milestone that was never reached: now
    # every from_milestone is reached (or is the `start` of a clock started at created_at).
    bad = rows(
        built_small_warehouse,
        "select s.account_id, s.journey, s.step, s.from_milestone from marts.journey_steps s"
        " left join marts.account_milestones m on s.account_id = m.account_id"
        " and s.from_milestone = m.milestone"
        " where s.from_milestone <> 'start' and m.reached_at is null",
    )
    assert bad == []


@pytest.mark.parametrize("account_id", sorted(JOURNEY_STEPS))
def test_journey_steps(built_small_warehouse, account_id):
    got = [
        (
            r["journey"],
            r["step"],
            r["owner"],
            r["started_at"],
            r["ended_at"],
            r["duration_days"],
            r["in_parallel"],
        )
        for r in _steps(built_small_warehouse, account_id)
    ]
    exp = JOURNEY_STEPS[account_id]
    assert [g[:2] for g in got] == [e[:2] for e in exp], "steps or their order differ"
    for g, e in zip(got, exp, strict=False):
        assert g[2:5] == e[2:5], (g, e)
        assert g[5] == (None if e[5] is None else pytest.approx(e[5], abs=1e-9)), (g, e)
        assert g[6] is e[6] or g[6] == e[6], (g, e)


def test_journey_step_value_before_start_is_null(built_small_warehouse):
    steps = {(r["journey"], r["step"]): r for r in _steps(built_small_warehouse, "A03")}
    # A03: kickoff 01-20 before start 02-02 -> 0, parallel
    first = steps[(IMPL, "contract_signed -> kickoff")]
    assert first["duration_days"] == 0 and first["in_parallel"] is True
    # value_achieved 01-28 before start 02-02: no duration, no parallel flag (data issue)
    for journey in (IMPL, ADOP):
        last = [
            r for (j, s), r in steps.items() if j == journey and s.endswith("-> value_achieved")
        ]
        assert len(last) == 1
        assert last[0]["ended_at"] == T("2026-01-28 00:00")
        assert last[0]["duration_days"] is None
        assert last[0]["in_parallel"] is None
    # not reached: duration and parallel flag NULL
    access = steps[(IMPL, "kickoff -> access_provisioned")]
    assert access["ended_at"] is None
    assert access["duration_days"] is None and access["in_parallel"] is None


# For accounts without a data issue: sum of a journey's step durations =
# max(start, latest reached milestone of the journey) - start (0 when nothing after the start).
JOURNEY_SUMS = {
    # sales-led: (implementation, adoption)
    "A01": (45.5, 45.5),  # value_achieved is the latest in both
    "A02": (100.0, 100.0),  # value_achieved 04-20
    # impl: access 02-16 00:00 = 15.0; adoption: first_login 02-16 12:00 = 15.5
    "A04": (15.0, 15.5),
    "A05": (5.0, 6.0),  # impl: kickoff 01-20 = 5.0; adoption: first_login 01-21 = 6.0
    "A06": (20.5, 20.5),  # value_achieved
    "A07": (2.0, 2.0),  # kickoff 05-13 = 2.0 (first_login 05-12 = 1.0 is earlier)
    "A08": (30.0, 30.0),  # value_achieved
    # PLG: (product_led,)
    "A09": (2.5,),  # first_value 01-12 20:00 is the latest: 2.5
    "A10": (10.0,),  # first_value 03-12 08:00: 10.0
    "A11": (2.0,),  # first_meaningful_action = regular_usage = 05-30 12:00 = 2.0
    "A12": (60.0, 60.0),  # value_achieved
    "A13": (30.5, 30.5),  # value_achieved
}


def test_journey_step_durations_add_up(built_small_warehouse):
    wh = built_small_warehouse
    sql = "select account_id, start_at, data_issue from marts.account_ttv"
    accounts = {r["account_id"]: r for r in rows(wh, sql)}
    reached = {
        (r["account_id"], r["milestone"]): r["reached_at"]
        for r in rows(wh, "select account_id, milestone, reached_at from marts.account_milestones")
    }
    sums, latest = {}, {}
    for r in rows(wh, "select account_id, journey, step, duration_days from marts.journey_steps"):
        key = (r["account_id"], r["journey"])
        sums[key] = sums.get(key, 0.0) + (r["duration_days"] or 0.0)
        t = reached[(r["account_id"], r["step"].split(" -> ")[1])]
        if t is not None:
            latest[key] = max(latest.get(key, t), t)
    clean = sorted(a for a, r in accounts.items() if r["data_issue"] is None)
    assert clean == sorted(JOURNEY_SUMS)  # everyone except A03
    for account_id in clean:
        start = accounts[account_id]["start_at"]
        journeys = (PLED,) if len(JOURNEY_SUMS[account_id]) == 1 else (IMPL, ADOP)
        for journey, hand in zip(journeys, JOURNEY_SUMS[account_id], strict=False):
            key = (account_id, journey)
            end = max(start, latest.get(key, start))
            assert sums[key] == pytest.approx((end - start).total_seconds() / 86400, abs=1e-9), key
            assert sums[key] == pytest.approx(hand, abs=1e-9), key


# --------------------------------------------------------------------------------------------
# marts.journey_step_summary
# --------------------------------------------------------------------------------------------


def test_journey_step_summary(built_small_warehouse):
    wh = built_small_warehouse
    summary = {
        r["segment"]: r
        for r in rows(
            wh,
            "select * from marts.journey_step_summary"
            " where journey = 'implementation' and step = 'kickoff -> access_provisioned'",
        )
    }
    # No `All` row (SPEC §4.1): segments and the sales_led group only; PLG does not follow
    # implementation, so it has no row here.
    assert set(summary) == {"Enterprise", "Mid-Market", "SMB", "sales_led"}
    # kickoff -> access_provisioned durations: A01 4.5, A02 5.0 (Enterprise), A04 10.0
    # (Mid-Market); nobody else has access_provisioned.
    check(
        summary["sales_led"],
        dict(
            owner="it",
            accounts_completed=3,
            avg_days=6.5,  # (4.5 + 5 + 10) / 3 = 19.5 / 3
            median_days=5.0,
            p25_days=4.75,  # position 0.25 * 2 = 0.5: 4.5 + 0.5 * (5.0 - 4.5)
            p75_days=7.5,  # position 1.5: 5.0 + 0.5 * (10 - 5)
            min_days=4.5,
            max_days=10.0,
            # implementation step medians (sales_led: A01-A08, A12, A13):
            #   contract_signed -> kickoff: A01 0, A02 10, A03 0, A04 5, A05 5, A06 2, A07 2,
            #     A08 2, A12 2, A13 2 -> sorted 0 0 2 2 2 2 2 5 5 10 -> 2.0 (also 2.0 without A03)
            #   kickoff -> access_provisioned: 5.0
            #   access_provisioned -> configuration_complete: A01 10.5, A02 25 -> 17.75
            #   configuration_complete -> data_migrated: A01 15, A02 30 -> 22.5
            #   data_migrated -> training_complete: A01 5, A02 0 -> 2.5
            #   training_complete -> first_production_use: A01 5, A02 20 -> 12.5
            #   first_production_use -> value_achieved: A01 5.5, A02 10, A06 18.5 (from kickoff
            #     01-22), A08 28 (kickoff 11-05 -> 12-03), A12 58 (kickoff 01-28 -> 03-27),
            #     A13 28.5 (kickoff 03-18 -> 04-15 12:00); A03 NULL -> (18.5 + 28) / 2 = 23.25
            #   sum = 2 + 5 + 17.75 + 22.5 + 2.5 + 12.5 + 23.25 = 85.5
            share_of_journey=5.0 / 85.5,
            is_bottleneck=False,
        ),
        "summary sales_led",
    )
    check(
        summary["Enterprise"],
        dict(
            accounts_completed=2,  # A01 4.5, A02 5.0
            avg_days=4.75,
            median_days=4.75,
            p25_days=4.625,  # 4.5 + 0.25 * 0.5
            p75_days=4.875,  # 4.5 + 0.75 * 0.5
            min_days=4.5,
            max_days=5.0,
        ),
        "summary Enterprise",
    )
    check(summary["Mid-Market"], dict(accounts_completed=1, median_days=10.0), "summary Mid-Market")
    # The longest median implementation step of sales_led: first_production_use ->
    # value_achieved (23.25 > 22.5 for configuration_complete -> data_migrated).
    bottlenecks = rows(
        wh,
        "select step, median_days from marts.journey_step_summary"
        " where journey = 'implementation' and segment = 'sales_led' and is_bottleneck",
    )
    assert [(b["step"], b["median_days"]) for b in bottlenecks] == [
        ("first_production_use -> value_achieved", pytest.approx(23.25))
    ]


def test_journey_step_summary_product_led(built_small_warehouse):
    got = rows(
        built_small_warehouse,
        "select * from marts.journey_step_summary where segment = 'PLG' order by step_order",
    )
    # PLG follows product_led only; each step once, labelled with PLG's start milestone also for
    # A10 (whose own row reads `start -> first_login`).
    assert [(r["journey"], r["step_order"], r["step"]) for r in got] == [
        (PLED, 1, "signed_up -> first_login"),
        (PLED, 2, "first_login -> first_meaningful_action"),
        (PLED, 3, "first_meaningful_action -> first_value"),
        (PLED, 4, "first_value -> regular_usage"),
    ]
    first, second, third, fourth = got
    # step 1: A09 0.5, A10 1.5, A11 0.5 -> sorted 0.5 0.5 1.5
    check(
        first,
        dict(
            accounts_completed=3,
            avg_days=2.5 / 3,
            median_days=0.5,
            p25_days=0.5,  # position 0.5: 0.5 + 0.5 * (0.5 - 0.5)
            p75_days=1.0,  # position 1.5: 0.5 + 0.5 * (1.5 - 0.5)
            min_days=0.5,
            max_days=1.5,
        ),
        "PLG step 1",
    )
    # step 2: A09 0.5, A10 0.5, A11 1.5 -> median 0.5
    check(second, dict(accounts_completed=3, median_days=0.5), "PLG step 2")
    # step 3: A09 1.5, A10 8.0 (A11 not reached) -> median 4.75, the bottleneck
    # medians 0.5 + 0.5 + 4.75 + 0.0 = 5.75
    check(
        third,
        dict(
            accounts_completed=2, median_days=4.75, share_of_journey=4.75 / 5.75, is_bottleneck=True
        ),
        "PLG step 3",
    )
    # step 4: A09 0.0 (parallel), A11 0.0 (A10 not reached) -> median 0, one in parallel
    check(
        fourth,
        dict(
            accounts_completed=2,
            median_days=0.0,
            accounts_in_parallel=1,
            share_of_journey=0.0,
            is_bottleneck=False,
        ),
        "PLG step 4",
    )


def test_journey_step_summary_has_each_step_once_per_segment(built_small_warehouse):
    # The first edition listed a journey's first step twice in `All` (contract_signed -> kickoff
    # and signed_up -> kickoff): now a step counts only the accounts that follow its journey.
    dup = rows(
        built_small_warehouse,
        "select journey, step_order, segment, count(*) as n from marts.journey_step_summary"
        " group by all having count(*) > 1",
    )
    assert dup == []
    segments = {
        r["segment"]
        for r in rows(
            built_small_warehouse, "select distinct segment from marts.journey_step_summary"
        )
    }
    assert segments == {"Enterprise", "Mid-Market", "SMB", "PLG", "sales_led"}


# --------------------------------------------------------------------------------------------
# marts.cohort_ttv
# --------------------------------------------------------------------------------------------
# Per account: (start cohort month, segment, ttv or censoring time, event?, value_at)
#   A01 2026-01 Ent  45.5 E 02-20     A02 2026-01 Ent 100.0 E 04-20   A03 2026-02 Ent data issue
#   A04 2026-02 MM  120.0 C           A05 2026-01 MM   45.0 C (churned)
#   A06 2026-01 SMB  20.5 E 02-09     A07 2026-05 SMB  21.0 C          A08 2025-11 SMB 30.0 E
#                                                                          (value 2025-12-03)
#   A09 2026-01 PLG   2.5 E 01-12     A10 2026-03 PLG  10.0 E 03-12    A11 2026-05 PLG 3.5 C
#   A12 2026-01 MM   60.0 E 03-27     A13 2026-03 MM   30.5 E 04-15
# ttfv: A01 10.0, A02 30.0, A06 5.0, A09 2.5, A10 10.0, others NULL.
# Targets (days): Enterprise 90, Mid-Market 60, SMB 30, PLG 7; best-in-class 45, 30, 7, 1.
# sales_led = Enterprise + Mid-Market + SMB; PLG is never pooled with them (SPEC §4.1).


def _cohort(warehouse, basis, grain, label, segment, dimension="all", value="all"):
    (row,) = rows(
        warehouse,
        "select * from marts.cohort_ttv where period_basis = ? and period_grain = ?"
        " and cohort_label = ? and segment = ? and dimension = ? and dimension_value = ?",
        [basis, grain, label, segment, dimension, value],
    )
    return row


def test_cohort_has_no_all_segment(built_small_warehouse):
    segments = {
        r["segment"]
        for r in rows(built_small_warehouse, "select distinct segment from marts.cohort_ttv")
    }
    assert segments == {"Enterprise", "Mid-Market", "SMB", "PLG", "sales_led"}
    assert rows(built_small_warehouse, "select distinct as_of_date from marts.cohort_ttv") == [
        {"as_of_date": dt.date(2026, 6, 1)}
    ]


def test_cohort_month_january_sales_led(built_small_warehouse):
    row = _cohort(built_small_warehouse, "start", "month", "2026-01", "sales_led")
    check(
        row,
        dict(
            cohort_period=dt.date(2026, 1, 1),
            accounts=5,  # A01 A02 A05 A06 A12 (A09 is PLG: not pooled)
            reached_value=4,  # all but A05
            still_onboarding=0,
            churned_before_value=1,  # A05
            median_ttv_days=52.75,  # 20.5 45.5 | 60 100 -> (45.5 + 60) / 2
            # KM: 20.5 E n=5 S=4/5; 45.0 C (A05); 45.5 E n=3 S=.8*2/3=.533; 60 E n=2
            # S=.533/2=.267 <= .5 -> 60.0
            km_median_ttv_days=60.0,
            p25_ttv_days=39.25,  # position 0.75: 20.5 + 0.75 * (45.5 - 20.5)
            p75_ttv_days=70.0,  # position 2.25: 60 + 0.25 * (100 - 60)
            avg_ttv_days=56.5,  # (20.5 + 45.5 + 60 + 100) / 4 = 226 / 4
            share_under_30=0.25,  # 20.5
            share_30_60=0.25,  # 45.5
            share_60_90=0.25,  # 60.0
            share_over_90=0.25,  # 100.0
            median_ttfv_days=10.0,  # A06 5, A01 10, A02 30
            # every window ended by as-of (the latest, A12: 01-26 + 60 = 03-27); within target:
            # A01 45.5 <= 90, A06 20.5 <= 30, A12 60 <= 60 (day N counts); not: A02 100 > 90,
            # A05 never -> 3/5
            share_within_target=0.6,
            # best-in-class: A01 45.5 > 45, A02, A05, A06 20.5 > 7, A12 60 > 30 -> 0/5
            share_within_best_in_class=0.0,
        ),
        "cohort start 2026-01 sales_led",
    )


def test_cohort_quarter_q1_mid_market(built_small_warehouse):
    expected = dict(
        cohort_period=dt.date(2026, 1, 1),
        accounts=4,  # A04 A05 A12 A13
        reached_value=2,  # A12 60.0, A13 30.5
        still_onboarding=1,  # A04 (A05 churned)
        median_ttv_days=45.25,  # (30.5 + 60) / 2
        # KM n=4: 30.5 E S=3/4; 45.0 C (A05); 60 E n=2 S=3/4*1/2=0.375 -> 60.0; 120 C (A04)
        km_median_ttv_days=60.0,
        p25_ttv_days=37.875,  # 30.5 + 0.25 * 29.5
        p75_ttv_days=52.625,  # 30.5 + 0.75 * 29.5
        avg_ttv_days=45.25,
        share_under_30=0.0,
        share_30_60=0.5,  # 30.5
        share_60_90=0.5,  # 60.0
        share_over_90=0.0,
        median_ttfv_days=None,  # no Mid-Market account reached first_value
        # windows (60 days) all ended by as-of (A13: 03-16 + 60 = 05-15); within: A12 60,
        # A13 30.5; not: A04, A05 -> 2/4
        share_within_target=0.5,
        # best-in-class 30 days: A13 30.5 > 30, A12 60 > 30 -> 0/4
        share_within_best_in_class=0.0,
    )
    wh = built_small_warehouse
    check(_cohort(wh, "start", "quarter", "2026-Q1", "Mid-Market"), expected, "Q1 Mid-Market")
    # the same accounts as a dimension value of the sales_led group
    check(
        _cohort(wh, "start", "quarter", "2026-Q1", "sales_led", "segment", "Mid-Market"),
        expected,
        "Q1 sales_led by segment Mid-Market",
    )


def test_cohort_target_attainment_with_open_windows(built_small_warehouse):
    wh = built_small_warehouse
    smb = _cohort(wh, "start", "all_time", "all time", "SMB")
    check(
        smb,
        dict(
            cohort_period=None,
            accounts=3,  # A06 A07 A08
            reached_value=2,
            still_onboarding=1,  # A07
            # target 30: A06 (20.5) and A08 (30.0, day N counts) within; A07's window
            # 05-11 + 30 = 06-10 has not ended by as-of 06-01: left out -> 2/2
            share_within_target=1.0,
            # best-in-class 7: A07's window 05-11 + 7 = 05-18 has ended, value not reached; A06
            # 20.5 > 7, A08 30 > 7 -> 0/3
            share_within_best_in_class=0.0,
        ),
        "all time SMB",
    )
    plg = _cohort(wh, "start", "all_time", "all time", "PLG")
    check(
        plg,
        dict(
            accounts=3,  # A09 A10 A11
            reached_value=2,
            median_ttv_days=6.25,  # (2.5 + 10) / 2
            # KM: 2.5 E n=3 S=2/3; 3.5 C (A11); 10 E n=1 S=0 -> 10.0
            km_median_ttv_days=10.0,
            # target 7: A09 2.5 within; A10 10 > 7; A11's window 05-28 12:00 + 7 = 06-04 12:00
            # is after as-of: left out -> 1/2
            share_within_target=0.5,
            # best-in-class 1: A09 2.5 > 1, A10, A11 (05-29 12:00 ended, not reached) -> 0/3
            share_within_best_in_class=0.0,
        ),
        "all time PLG",
    )


def test_cohort_value_basis(built_small_warehouse):
    wh = built_small_warehouse
    # "median TTV of the customers who reached value this quarter": by value_at, trusted only.
    # 2026-Q1 value dates of sales-led accounts: A06 02-09 (20.5), A01 02-20 (45.5), A12 03-27
    # (60.0); A03's value date (01-28) is a data issue and left out; A02 and A13 are in Q2,
    # A08 in 2025-Q4.
    q1 = _cohort(wh, "value", "quarter", "2026-Q1", "sales_led")
    check(
        q1,
        dict(
            cohort_period=dt.date(2026, 1, 1),
            accounts=3,
            reached_value=3,
            accounts_with_ttv=3,
            still_onboarding=0,
            median_ttv_days=45.5,
            km_median_ttv_days=45.5,  # no censoring: 20.5 S=2/3, 45.5 S=1/3
            avg_ttv_days=42.0,  # (20.5 + 45.5 + 60) / 3 = 126 / 3
            # windows all ended; within: A06 20.5 <= 30, A01 45.5 <= 90, A12 60 <= 60 -> 3/3
            share_within_target=1.0,
        ),
        "value 2026-Q1 sales_led",
    )
    q2 = _cohort(wh, "value", "quarter", "2026-Q2", "sales_led")
    # A13 04-15 (30.5), A02 04-20 (100.0) -> median 65.25
    check(q2, dict(accounts=2, median_ttv_days=65.25), "value 2026-Q2 sales_led")
    # Enterprise in Q1 by value date: A01 only (A03's value date is not trusted)
    check(
        _cohort(wh, "value", "quarter", "2026-Q1", "Enterprise"),
        dict(accounts=1, median_ttv_days=45.5),
        "value 2026-Q1 Enterprise",
    )
    # PLG by value month: A09 reached first_value 01-12 20:00 -> 2026-01
    check(
        _cohort(wh, "value", "month", "2026-01", "PLG"),
        dict(accounts=1, median_ttv_days=2.5, median_ttfv_days=2.5),
        "value 2026-01 PLG",
    )


def test_cohort_year_and_trailing_12_months(built_small_warehouse):
    wh = built_small_warehouse
    # trailing 12 months as of 2026-06-01: [2025-06-01, 2026-06-01)
    t12 = _cohort(wh, "start", "trailing_12_months", "trailing 12 months", "sales_led")
    check(
        t12,
        dict(
            cohort_period=dt.date(2025, 6, 1),
            accounts=10,  # every sales-led account started in the window (A08 2025-11)
            reached_value=7,
        ),  # A01 A02 A03 A06 A08 A12 A13
        "start trailing 12 months sales_led",
    )
    # by value date: A08 (2025-12-03, 30.0), A06 20.5, A01 45.5, A12 60.0, A13 30.5, A02 100
    # -> 20.5 30 30.5 | 45.5 60 100 -> (30.5 + 45.5) / 2 = 38.0
    t12v = _cohort(wh, "value", "trailing_12_months", "trailing 12 months", "sales_led")
    check(t12v, dict(accounts=6, median_ttv_days=38.0), "value trailing 12 months sales_led")
    # 2025 by start: A08 alone (SMB), value at exactly 30.0 days
    y2025 = _cohort(wh, "start", "year", "2025", "SMB")
    check(
        y2025,
        dict(
            cohort_period=dt.date(2025, 1, 1),
            accounts=1,
            reached_value=1,
            median_ttv_days=30.0,
            km_median_ttv_days=30.0,
            share_30_60=1.0,
        ),
        "start 2025 SMB",
    )
    # no sales-led account started in 2025 except A08
    check(_cohort(wh, "start", "year", "2025", "sales_led"), dict(accounts=1), "2025 sales_led")


def test_cohort_without_value(built_small_warehouse):
    may = _cohort(built_small_warehouse, "start", "month", "2026-05", "sales_led")
    check(
        may,
        dict(
            accounts=1,  # A07 (A11 is PLG)
            reached_value=0,
            still_onboarding=1,
            median_ttv_days=None,  # nobody reached value
            km_median_ttv_days=None,  # censored at 21.0 only: S stays 1
            p25_ttv_days=None,
            p75_ttv_days=None,
            median_ttfv_days=None,
            share_within_target=None,  # A07's window (to 06-10) has not ended
            share_within_best_in_class=0.0,  # 05-11 + 7 = 05-18 ended without value
        ),
        "cohort 2026-05 sales_led",
    )


# --------------------------------------------------------------------------------------------
# marts.ttv_retention
# --------------------------------------------------------------------------------------------


def test_ttv_retention(built_small_warehouse):
    sql = "select * from marts.ttv_retention"
    got = {(r["segment"], r["ttv_band"]): r for r in rows(built_small_warehouse, sql)}

    # Only accounts with a first term (SPEC §4.1): A10 (free, churned) and A11 (no contract) are
    # in no row. Per account: band, renewal outcome, first-term ARR
    #   A01 Ent 30-60 renewed 120000     A02 Ent >90 pending 90000   A03 Ent data_issue pending
    #   150000   A04 MM not_reached pending 40000   A05 MM not_reached churned 50000
    #   A06 SMB <30 churned 12000.50     A07 SMB not_reached pending 10000
    #   A08 SMB 30-60 unknown 15000      A09 PLG <30 renewed 1200    A12 MM 60-90 pending 60000
    #   A13 MM 30-60 renewed 45000
    def r(accounts, renewed=0, churned=0, pending=0, unknown=0, rate=None, arr=None):
        return dict(
            accounts=accounts,
            renewed=renewed,
            churned=churned,
            pending=pending,
            unknown=unknown,
            renewal_rate=rate,
            avg_first_term_arr=arr,
            as_of_date=dt.date(2026, 6, 1),
        )

    expected = {
        ("sales_led", "<30"): r(1, churned=1, rate=0.0, arr=12000.5),  # A06
        # A01 renewed, A08 unknown, A13 renewed: 2 / (2 + 0); (120000 + 15000 + 45000) / 3
        ("sales_led", "30-60"): r(3, renewed=2, unknown=1, rate=1.0, arr=60000.0),
        ("sales_led", "60-90"): r(1, pending=1, arr=60000.0),  # A12
        ("sales_led", ">90"): r(1, pending=1, arr=90000.0),  # A02
        # A04 pending, A05 churned, A07 pending: 0 / (0 + 1); (40000 + 50000 + 10000) / 3
        ("sales_led", "not_reached"): r(3, churned=1, pending=2, rate=0.0, arr=100000.0 / 3),
        # A03: its value date is not trusted, yet it is in a band: 10 = 1 + 3 + 1 + 1 + 3 + 1
        ("sales_led", "data_issue"): r(1, pending=1, arr=150000.0),
        ("Enterprise", "30-60"): r(1, renewed=1, rate=1.0, arr=120000.0),
        ("Enterprise", ">90"): r(1, pending=1, arr=90000.0),
        ("Enterprise", "data_issue"): r(1, pending=1, arr=150000.0),
        ("Mid-Market", "30-60"): r(1, renewed=1, rate=1.0, arr=45000.0),
        ("Mid-Market", "60-90"): r(1, pending=1, arr=60000.0),
        ("Mid-Market", "not_reached"): r(2, churned=1, pending=1, rate=0.0, arr=45000.0),
        ("SMB", "<30"): r(1, churned=1, rate=0.0, arr=12000.5),
        ("SMB", "30-60"): r(1, unknown=1, arr=15000.0),  # A08: no renewal or churn known
        ("SMB", "not_reached"): r(1, pending=1, arr=10000.0),
        # PLG: A09 renewed; the free A10 no longer counts as a churned first term (the first
        # edition read 1/3 for the pooled <30 band)
        ("PLG", "<30"): r(1, renewed=1, rate=1.0, arr=1200.0),
    }
    assert set(got) == set(expected)
    for key, exp in expected.items():
        check(got[key], exp, f"ttv_retention {key}")


# --------------------------------------------------------------------------------------------
# SPEC §4.1: as_of_date everywhere, descriptions as DuckDB comments in the published file
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("table", MARTS)
def test_every_mart_has_the_as_of_date(built_small_warehouse, table):
    got = rows(built_small_warehouse, f"select distinct as_of_date from marts.{table}")
    assert got == [{"as_of_date": dt.date(2026, 6, 1)}]


def test_published_tables_and_columns_carry_their_descriptions(built_small_warehouse):
    # built_small_warehouse is the published file (copied out of the working file)
    tables = rows(
        built_small_warehouse,
        "select schema_name, table_name, comment from duckdb_tables()"
        " where schema_name in ('marts', 'config')",
    )
    assert {t["table_name"] for t in tables if t["schema_name"] == "marts"} == set(MARTS)
    assert [t for t in tables if not t["comment"]] == []
    undocumented = rows(
        built_small_warehouse,
        "select table_name, column_name from duckdb_columns()"
        " where schema_name in ('marts', 'config', 'raw', 'quarantine')"
        " and (comment is null or comment = '')",
    )
    assert undocumented == []
    loads = rows(
        built_small_warehouse,
        "select schema_name || '.' || table_name as name, comment from duckdb_tables()"
        " where schema_name in ('raw', 'quarantine') order by 1",
    )
    assert [t["name"] for t in loads] == ["quarantine.rejected_rows", "raw.landed_files"]
    assert all(t["comment"] for t in loads)
    (cohort,) = [t for t in tables if t["table_name"] == "cohort_ttv"]
    assert cohort["comment"].startswith("One row per period basis")
    (column,) = rows(
        built_small_warehouse,
        "select comment from duckdb_columns() where schema_name = 'marts'"
        " and table_name = 'journey_steps' and column_name = 'from_milestone'",
    )
    assert "on ties the later one in journey order" in column["comment"]
