"""The source registry (config/sources.yml) on exports in the six vendors' formats (SPEC §7).

Fixtures (written from the vendors' public format descriptions, not copied from real exports):

tests/fixtures/landing_vendors/  one small export per vendor, loaded with the registry as it ships
  salesforce/Account.csv      old Data Loader: UTF-8 BOM, UPPER-CASE headers (ID, NAME, ...), every
                              value quoted; a quoted two-line DESCRIPTION (record 1 = lines 2-3);
                              CREATEDDATE as ...000Z, +0100 and -0500; "Mid Market" and
                              "Self-Serve" mapped by the registry; unknown LEGACY_ERP_ID__C.
  salesforce/Opportunity.csv  current Data Loader headers (Id, AccountId, ...); 7 opportunities:
                              4 won, 1 "Closed Lost" and 1 "Prospecting" (IsWon false -> filtered),
                              1 won with Type "Upsell" (not in the map -> quarantined); a two-line
                              Description (record 2 = lines 3-4); ARR__c empty -> Amount.
  hubspot/companies.csv       display-label headers, BOM, CRLF line ends; 2 companies.
  hubspot/deals.csv           internal-name headers (hs_object_id, dealstage, ...); stage ids
                              (closedwon, closedlost, appointmentscheduled), deal type ids.
  segment/tracks.jsonl        3 tracks; one with only anonymousId (no userId key); a +01:00
                              timestamp; Segment's own fields (type, sentAt, receivedAt, ...).
  amplitude/export.zip        2 members 123456/123456_<date>_<hour>#0.json.gz; groups.company a
                              string, and once a list; Amplitude's own fields (event_id, ...).
  mixpanel/export.jsonl       4 lines: line 2 repeats line 1 (same event, distinct_id, time and
                              $insert_id: a duplicate); line 3 differs only by $insert_id.
  posthog/events.jsonl        2 events, properties an object, account in properties.$groups.
  posthog/events.parquet      2 events, properties a JSON *string*, timestamp a Parquet
                              TIMESTAMP(us, UTC) column, team_id int64.

  The two binary files were written with (dates in ZipInfo fixed, gzip mtime=0):
      members = {"123456/123456_2026-02-03_10#0.json.gz": [records 1, 2],
                 "123456/123456_2026-02-04_0#0.json.gz": [record 3]}
      for name, recs in members.items():
          info = zipfile.ZipInfo(name, date_time=(2026, 2, 5, 0, 0, 0))
          zf.writestr(info, gzip.compress("".join(json.dumps(r) + "\\n" for r in recs), mtime=0))
      pq.write_table(pa.table({"uuid": ..., "event": ..., "properties": [json.dumps(...)],
                               "distinct_id": ..., "team_id": pa.int64(),
                               "timestamp": pa.timestamp("us", tz="UTC"), ...}), path)
  Their content is spelled out record by record in the expectations below.

tests/fixtures/landing_mixed/  landing_small as HubSpot + Amplitude exports, written by
  tests/fixtures/make_landing_mixed.py under HubSpot's download names, dropdown values as labels
  on every other company (`Direct`, `Template`, `High`) and internal names on every other deal
  (`closedwon`, `newbusiness`); it must build exactly the canonical marts.

Vendor file names and folder layouts, unclaimed files, Segment's non-track calls and Mixpanel's
list group keys: tests/test_vendor_layouts.py.

Account ids per vendor: Salesforce 0015g00000Acme1AAA / Beta2AAA / Gamm3AAA (ACC1-3),
HubSpot record ids 18250000001 / 18250000002 (HS1, HS2). Every product event names one of them.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import importlib.util
import json
import re
import shutil
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest

from dagster_project import paths
from dagster_project.lib import landing, schema, sources
from tests.conftest import FIXTURES, MARTS, SMALL_AS_OF, SMALL_LANDING, build_warehouse, query

VENDORS = FIXTURES / "landing_vendors"
MIXED = FIXTURES / "landing_mixed"
REGISTRY = paths.SOURCES_FILE

ACC1, ACC2, ACC3 = "0015g00000Acme1AAA", "0015g00000Beta2AAA", "0015g00000Gamm3AAA"
HS1, HS2 = "18250000001", "18250000002"
AMP1 = "amplitude/export.zip!123456/123456_2026-02-03_10#0.json.gz"
AMP2 = "amplitude/export.zip!123456/123456_2026-02-04_0#0.json.gz"

ACCOUNT_COLUMNS = (
    "account_id, account_name, segment, industry, plan_tier, sales_channel, "
    "csm_owner, region, created_at, churned_at, churn_reason"
)
ONBOARDING_COLUMNS = (
    "account_id, kickoff_at, access_provisioned_at, configuration_completed_at, "
    "data_migrated_at, training_completed_at, first_production_use_at, "
    "value_confirmed_at, full_value_at, pre_onboarding, configuration_approach, "
    "touch_model, onboarding_variant, integrations"
)
CONTRACT_COLUMNS = "contract_id, account_id, contract_type, signed_at, start_date, end_date, arr"
EVENT_COLUMNS = "event_id, account_id, user_id, event_name, occurred_at"


def T(*parts) -> dt.datetime:
    """A naive UTC timestamp."""
    return dt.datetime(*parts)


def D(y, m, d) -> dt.date:
    return dt.date(y, m, d)


def fetch(con, sql: str, params=None) -> list[tuple]:
    return con.execute(sql, params or []).fetchall()


def extras(con, table: str, source: str, key: str) -> dict[str, dict | None]:
    """`_extra` of each row of one source, parsed, with the export's field names lower-cased
    (CSV header case differs between export versions; the registry matches it case-blind)."""
    out = {}
    for k, text in fetch(con, f"select {key}, _extra from raw.{table} where _source = ?", [source]):
        if text is None:
            out[k] = None
            continue
        parsed = json.loads(text)
        assert isinstance(parsed, dict), f"{table}._extra of {k} is not a JSON object: {text!r}"
        out[k] = {name.lower(): value for name, value in parsed.items()}
    return out


def totals(results, table: str) -> dict[str, int]:
    """LoadResult counts of one canonical table (summed, whatever the result's granularity)."""
    picked = [r for r in results if r.table == table or str(r.table).split(".")[-1] == table]
    assert picked, f"no LoadResult for {table}: {[r.table for r in results]}"
    fields = ("rows_landed", "rows_loaded", "rows_duplicate", "rows_filtered", "rows_quarantined")
    out = {f: sum(getattr(r, f) for r in picked) for f in fields}
    out["reasons"] = sum(sum(r.reasons.values()) for r in picked)
    return out


@pytest.fixture(scope="module")
def vendors(tmp_path_factory):
    """landing_vendors (copied, so the fixture is never touched) loaded with the shipped registry."""
    root = tmp_path_factory.mktemp("vendors")
    landing_dir = root / "landing"
    shutil.copytree(VENDORS, landing_dir)
    registry = sources.load_registry(REGISTRY)
    con = duckdb.connect(str(root / "w.duckdb"))
    results = landing.load_landing(con, landing_dir, registry)
    yield con, results
    con.close()


# --------------------------------------------------------------------------------------------
# Salesforce
# --------------------------------------------------------------------------------------------


def test_salesforce_accounts_from_a_bom_upper_case_export(vendors):
    con, _ = vendors
    got = fetch(
        con,
        f"select {ACCOUNT_COLUMNS}, _file, _line from raw.accounts "
        "where _source = 'salesforce_accounts' order by _line",
    )
    assert got == [
        # lines 2-3 (DESCRIPTION spans two lines); "Direct" -> direct (map);
        # CREATEDDATE 2025-12-01T09:00:00.000Z -> 09:00 UTC
        (
            ACC1,
            "Acme Corp",
            "Enterprise",
            "Manufacturing",
            "enterprise",
            "direct",
            "alice",
            "Germany",
            T(2025, 12, 1, 9, 0),
            None,
            None,
            "salesforce/Account.csv",
            2,
        ),
        # line 4: "Mid Market" -> Mid-Market, "Partner" -> partner;
        # 2026-01-05T10:00:00.000+0100 -> 09:00 UTC; Churn_Date__c 2026-05-01 -> midnight UTC
        (
            ACC2,
            "Beta GmbH",
            "Mid-Market",
            "Software",
            "business",
            "partner",
            "bob",
            "Austria",
            T(2026, 1, 5, 9, 0),
            T(2026, 5, 1),
            "budget cuts",
            "salesforce/Account.csv",
            4,
        ),
        # line 5: "Self-Serve" -> self-serve; empty CSM (quoted "") -> NULL;
        # 2026-02-01T23:30:00.000-0500 -> 23:30 + 5h = 2026-02-02 04:30 UTC
        (
            ACC3,
            "Gamma LLC",
            "SMB",
            "Retail",
            "team",
            "self-serve",
            None,
            "United States",
            T(2026, 2, 2, 4, 30),
            None,
            None,
            "salesforce/Account.csv",
            5,
        ),
    ]
    ex = extras(con, "accounts", "salesforce_accounts", "account_id")
    # the unmapped fields are kept: the quoted two-line description (its "" unescaped), the
    # unknown custom field, IsDeleted
    assert ex[ACC1]["description"] == 'Key account, "priority" onboarding.\nRenewal owner: finance.'
    assert ex[ACC1]["legacy_erp_id__c"] == "ERP-0042"
    assert ex[ACC1]["isdeleted"] == "false"
    assert ex[ACC3]["description"] == "Self-serve sign-up"
    for account, extra in ex.items():
        used = {"id", "name", "segment__c", "industry", "createddate", "billingcountry"}
        assert not used & set(extra or {}), f"{account}: mapped fields in _extra: {extra}"


def test_salesforce_onboarding_from_custom_account_fields(vendors):
    con, _ = vendors
    got = fetch(
        con,
        f"select {ONBOARDING_COLUMNS}, _file, _line from raw.onboarding "
        "where _source = 'salesforce_onboarding' order by _line",
    )
    assert got == [
        # yyyy-MM-dd dates -> midnight UTC; Data_Migrated / Full_Value empty -> NULL
        (
            ACC1,
            T(2026, 1, 12),
            T(2026, 1, 20),
            T(2026, 2, 2),
            None,
            T(2026, 2, 16),
            T(2026, 2, 23),
            T(2026, 3, 2),
            None,
            True,
            "custom",
            "high",
            "A",
            "salesforce;slack",
            "salesforce/Account.csv",
            2,
        ),
        (
            ACC2,
            T(2026, 1, 20),
            None,
            None,
            None,
            None,
            None,
            None,
            None,
            False,
            "template",
            "low",
            None,
            None,
            "salesforce/Account.csv",
            4,
        ),
        (
            ACC3,
            None,
            None,
            None,
            None,
            None,
            None,
            None,
            None,
            False,
            None,
            "low",
            None,
            None,
            "salesforce/Account.csv",
            5,
        ),
    ]


def test_salesforce_opportunities_won_only_and_unmapped_type_quarantined(vendors):
    con, _ = vendors
    got = fetch(
        con,
        f"select {CONTRACT_COLUMNS}, _file, _line from raw.contracts "
        "where _source = 'salesforce_contracts' order by _line",
    )
    assert got == [
        # line 2: New Business; CloseDate is the signature (midnight UTC); ARR__c 120000 wins
        # over Amount 125000.00 (first of [ARR__c, Amount])
        (
            "0065g00000Opp01AAA",
            ACC1,
            "new_business",
            T(2026, 1, 10),
            D(2026, 1, 15),
            D(2027, 1, 14),
            Decimal("120000.00"),
            "salesforce/Opportunity.csv",
            2,
        ),
        # lines 3-4 (two-line Description): Existing Business -> expansion; no
        # Contract_Start_Date__c -> CloseDate; ARR__c empty -> Amount 30000.5
        (
            "0065g00000Opp02AAA",
            ACC1,
            "expansion",
            T(2026, 4, 1),
            D(2026, 4, 1),
            D(2027, 1, 14),
            Decimal("30000.50"),
            "salesforce/Opportunity.csv",
            3,
        ),
        # line 5
        (
            "0065g00000Opp03AAA",
            ACC2,
            "new_business",
            T(2026, 1, 25),
            D(2026, 2, 1),
            D(2027, 1, 31),
            Decimal("48000.00"),
            "salesforce/Opportunity.csv",
            5,
        ),
        # line 6 Closed Lost (IsWon false): filtered; line 7 Upsell: quarantined
        # line 8
        (
            "0065g00000Opp06AAA",
            ACC3,
            "new_business",
            T(2026, 2, 3),
            D(2026, 2, 3),
            D(2027, 2, 2),
            Decimal("3600.00"),
            "salesforce/Opportunity.csv",
            8,
        ),
        # line 9 Prospecting (IsWon false): filtered
    ]
    rejected = fetch(
        con,
        "select file, line, column_name, reason, raw_record "
        "from quarantine.rejected_rows where source = 'salesforce_contracts'",
    )
    assert len(rejected) == 1, rejected
    file, line, column, reason, raw = rejected[0]
    assert (file, line, column) == ("salesforce/Opportunity.csv", 7, "contract_type")
    assert "Upsell" in reason
    assert "0065g00000Opp05AAA" in raw
    # filtered rows are accounted for, not rejected
    assert not any("Opp04" in r[4] or "Opp07" in r[4] for r in rejected)
    ex = extras(con, "contracts", "salesforce_contracts", "contract_id")
    assert ex["0065g00000Opp02AAA"]["description"] == "Add-on for the\nanalytics team"
    assert ex["0065g00000Opp02AAA"]["stagename"] == "Closed Won"
    assert ex["0065g00000Opp01AAA"]["probability"] == "100"
    assert "type" not in (ex["0065g00000Opp01AAA"] or {})


# --------------------------------------------------------------------------------------------
# HubSpot
# --------------------------------------------------------------------------------------------


def test_hubspot_companies_with_display_labels(vendors):
    con, _ = vendors
    got = fetch(
        con,
        f"select {ACCOUNT_COLUMNS}, _file, _line from raw.accounts "
        "where _source = 'hubspot_companies' order by _line",
    )
    assert got == [
        # BOM before "Record ID"; CRLF line ends; Create Date "2026-02-10 08:30" (no zone: UTC)
        (
            HS1,
            "Delta Inc",
            "PLG",
            "Software",
            "pro",
            "self-serve",
            None,
            "United States",
            T(2026, 2, 10, 8, 30),
            None,
            None,
            "hubspot/companies.csv",
            2,
        ),
        (
            HS2,
            "Epsilon Ltd",
            "Mid-Market",
            "Finance",
            "business",
            "direct",
            "carol",
            "United Kingdom",
            T(2026, 1, 20, 16, 45),
            None,
            None,
            "hubspot/companies.csv",
            3,
        ),
    ]
    got = fetch(
        con,
        f"select {ONBOARDING_COLUMNS}, _line from raw.onboarding "
        "where _source = 'hubspot_onboarding' order by _line",
    )
    assert got == [
        (HS1, None, None, None, None, None, None, None, None, False, None, "low", None, None, 2),
        (
            HS2,
            T(2026, 2, 2),
            T(2026, 2, 5),
            None,
            None,
            None,
            None,
            T(2026, 3, 20),
            None,
            True,
            "template",
            "high",
            "B",
            "slack;jira",
            3,
        ),
    ]
    ex = extras(con, "accounts", "hubspot_companies", "account_id")
    assert ex[HS1]["company domain name"] == "delta.example"
    assert ex[HS2]["lifecycle stage"] == "customer"
    assert ex[HS2]["company owner"] == "Carol Jones"
    assert "record id" not in ex[HS2] and "company name" not in ex[HS2]


def test_hubspot_deals_with_internal_names(vendors):
    con, _ = vendors
    got = fetch(
        con,
        f"select {CONTRACT_COLUMNS}, _file, _line from raw.contracts "
        "where _source = 'hubspot_deals' order by _line",
    )
    assert got == [
        # line 2: closedwon, newbusiness -> new_business; closedate "2026-01-30 14:00" UTC;
        # hs_arr 36000
        (
            "9100000001",
            HS2,
            "new_business",
            T(2026, 1, 30, 14, 0),
            D(2026, 2, 1),
            D(2027, 1, 31),
            Decimal("36000.00"),
            "hubspot/deals.csv",
            2,
        ),
        # line 3: contract_start_date empty -> closedate's date 2026-02-10; hs_arr empty ->
        # amount 1200
        (
            "9100000002",
            HS1,
            "new_business",
            T(2026, 2, 10, 9, 0),
            D(2026, 2, 10),
            D(2027, 2, 9),
            Decimal("1200.00"),
            "hubspot/deals.csv",
            3,
        ),
        # line 4 closedlost: filtered
        # line 5: existingbusiness -> expansion
        (
            "9100000004",
            HS2,
            "expansion",
            T(2026, 5, 5),
            D(2026, 5, 5),
            D(2027, 1, 31),
            Decimal("12000.00"),
            "hubspot/deals.csv",
            5,
        ),
        # line 6 appointmentscheduled: filtered
    ]
    assert fetch(
        con, "select count(*) from quarantine.rejected_rows where source = 'hubspot_deals'"
    ) == [(0,)]
    ex = extras(con, "contracts", "hubspot_deals", "contract_id")
    assert ex["9100000001"]["dealname"] == "Epsilon - Platform"
    assert ex["9100000001"]["pipeline"] == "default"
    assert ex["9100000001"]["hubspot_owner_id"] == "71000001"


# --------------------------------------------------------------------------------------------
# Product analytics
# --------------------------------------------------------------------------------------------


def _events(con, source: str) -> list[tuple]:
    return fetch(
        con,
        f"select {EVENT_COLUMNS}, _file, _line from raw.events "
        "where _source = ? order by _file, _line",
        [source],
    )


def _properties(con, source: str) -> dict:
    return {
        k: (json.loads(v) if v is not None else None)
        for k, v in fetch(
            con, "select event_id, properties from raw.events where _source = ?", [source]
        )
    }


def test_segment_tracks(vendors):
    con, _ = vendors
    assert _events(con, "segment_tracks") == [
        # 2026-01-16T09:30:00.000Z
        (
            "ajs-next-1a2b3c4d",
            ACC1,
            "sf-user-1",
            "login",
            T(2026, 1, 16, 9, 30),
            "segment/tracks.jsonl",
            1,
        ),
        # only anonymousId (no userId key) -> user_id; 2026-02-10T10:00:00+01:00 -> 09:00 UTC
        (
            "ajs-next-5e6f7a8b",
            HS1,
            "5f1e0c2a-anon-0002",
            "signed_up",
            T(2026, 2, 10, 9, 0),
            "segment/tracks.jsonl",
            2,
        ),
        # fractional seconds kept: .250Z
        (
            "node-9c0d1e2f",
            HS2,
            "hs-user-2",
            "project_created",
            T(2026, 2, 11, 12, 0, 0, 250000),
            "segment/tracks.jsonl",
            3,
        ),
    ]
    assert _properties(con, "segment_tracks") == {
        "ajs-next-1a2b3c4d": {"browser": "Firefox"},
        "ajs-next-5e6f7a8b": {"plan": "free"},
        "node-9c0d1e2f": {"project": "pilot", "template": True},
    }
    ex = extras(con, "events", "segment_tracks", "event_id")
    for message_id, extra in ex.items():
        assert extra is not None, f"{message_id}: Segment's own fields were dropped"
        assert "type" not in extra  # read by the source's `where` (tracks only), so not extra
        assert {"sentat", "receivedat", "originaltimestamp", "version"} <= set(extra)
        assert not {"messageid", "event", "timestamp", "properties"} & set(extra), extra
    assert ex["ajs-next-1a2b3c4d"]["sentat"] == "2026-01-16T09:30:01.020Z"
    # context.library is not mapped (context.groupId is): kept, nested or flattened
    assert "analytics-node" in json.dumps(ex["node-9c0d1e2f"])


def test_amplitude_export_zip(vendors):
    con, _ = vendors
    assert _events(con, "amplitude_events") == [
        # event_time "2026-02-03 10:15:00.120000", no zone: UTC
        (
            "3f8e1c2a-6b1d-4a9e-9c1f-000000000001",
            HS2,
            "hs-user-2",
            "login",
            T(2026, 2, 3, 10, 15, 0, 120000),
            AMP1,
            1,
        ),
        # groups.company is a list [ACC1, ACC2]: its first item
        (
            "3f8e1c2a-6b1d-4a9e-9c1f-000000000002",
            ACC1,
            "sf-user-1",
            "teammate_invited",
            T(2026, 2, 3, 10, 45, 30),
            AMP1,
            2,
        ),
        (
            "3f8e1c2a-6b1d-4a9e-9c1f-000000000003",
            ACC3,
            "sf-user-3",
            "project_created",
            T(2026, 2, 4, 0, 5),
            AMP2,
            1,
        ),
    ]
    assert _properties(con, "amplitude_events") == {
        "3f8e1c2a-6b1d-4a9e-9c1f-000000000001": {"source": "web"},
        "3f8e1c2a-6b1d-4a9e-9c1f-000000000002": {},
        "3f8e1c2a-6b1d-4a9e-9c1f-000000000003": {"project": "first"},
    }
    ex = extras(con, "events", "amplitude_events", "event_id")
    first = ex["3f8e1c2a-6b1d-4a9e-9c1f-000000000001"]
    # Amplitude's own integer event_id is an unknown extra, never the dedup key (uuid is)
    assert str(first["event_id"]) == "11"
    assert str(first["amplitude_id"]) == "90000000001"
    assert first["device_id"] == "d-0001"
    assert first["$insert_id"] == "f1e2d3c4-0001"
    assert first["server_upload_time"] == "2026-02-03 10:15:00.120000"
    assert not {"uuid", "event_type", "event_time", "user_id", "event_properties"} & set(first)


def test_mixpanel_export_deduplicated_on_event_distinct_id_time_and_insert_id(vendors):
    con, _ = vendors
    got = _events(con, "mixpanel_events")
    # time 1770113700: 2026-01-01 is 1767225600, + 33 days (Jan 31 + Feb 2) * 86400 = 1770076800
    # (2026-02-03 00:00) + 10h15m (36900) = 1770113700 -> 2026-02-03 10:15:00 UTC.
    # time 1770220800 = 1770076800 + 86400 + 16h (57600) -> 2026-02-04 16:00:00 UTC.
    assert [row[1:] for row in got] == [
        (ACC2, "sf-user-2", "login", T(2026, 2, 3, 10, 15), "mixpanel/export.jsonl", 1),
        # line 2 repeats line 1 exactly: a duplicate, not loaded
        # line 3: the same event, user and second, another $insert_id: a different event
        (ACC2, "sf-user-2", "login", T(2026, 2, 3, 10, 15), "mixpanel/export.jsonl", 3),
        (ACC2, "sf-user-2", "project_created", T(2026, 2, 4, 16, 0), "mixpanel/export.jsonl", 4),
    ]
    ids = [row[0] for row in got]
    assert len(set(ids)) == 3
    assert all(re.fullmatch(r"[0-9a-f]{32}", i) for i in ids), ids  # md5 of the four fields
    props = _properties(con, "mixpanel_events")
    assert props[ids[0]] == {
        "time": 1770113700,
        "distinct_id": "sf-user-2",
        "$insert_id": "mp0001aa",
        "company_id": ACC2,
        "mp_lib": "web",
        "$browser": "Chrome",
    }
    assert props[ids[1]]["$insert_id"] == "mp0002bb"
    assert props[ids[2]]["project"] == "rollout"
    # the record is `event` + `properties`, both mapped: nothing extra
    assert set(extras(con, "events", "mixpanel_events", "event_id").values()) == {None}


def test_posthog_json_lines_and_parquet(vendors):
    con, _ = vendors
    assert _events(con, "posthog_events") == [
        (
            "01900000-0000-7000-8000-000000000001",
            HS1,
            "hs-user-1",
            "login",
            T(2026, 2, 10, 9, 5),
            "posthog/events.jsonl",
            1,
        ),
        # 2026-02-10T11:30:00+01:00 -> 10:30 UTC
        (
            "01900000-0000-7000-8000-000000000002",
            HS1,
            "hs-user-1",
            "project_created",
            T(2026, 2, 10, 10, 30),
            "posthog/events.jsonl",
            2,
        ),
        # Parquet TIMESTAMP(us, UTC) 2026-02-11 08:00; account from the properties JSON string
        (
            "01900000-0000-7000-8000-000000000003",
            HS1,
            "hs-user-1",
            "teammate_invited",
            T(2026, 2, 11, 8, 0),
            "posthog/events.parquet",
            1,
        ),
        (
            "01900000-0000-7000-8000-000000000004",
            ACC3,
            "sf-user-3",
            "login",
            T(2026, 2, 12, 7, 45, 30, 500000),
            "posthog/events.parquet",
            2,
        ),
    ]
    # properties: an object in JSON lines, a JSON string in Parquet; both load as the object
    assert _properties(con, "posthog_events") == {
        "01900000-0000-7000-8000-000000000001": {
            "$groups": {"company": HS1},
            "$lib": "web",
            "$current_url": "https://app.example.com/",
        },
        "01900000-0000-7000-8000-000000000002": {
            "$groups": {"company": HS1},
            "$lib": "web",
            "project": "first",
        },
        "01900000-0000-7000-8000-000000000003": {
            "$groups": {"company": HS1},
            "$lib": "posthog-python",
            "invitee_role": "member",
        },
        "01900000-0000-7000-8000-000000000004": {"$groups": {"company": ACC3}, "$lib": "web"},
    }
    ex = extras(con, "events", "posthog_events", "event_id")
    for uuid, extra in ex.items():
        assert extra is not None, uuid
        assert str(extra["team_id"]) == "2", extra
        assert extra["person_id"] == uuid.replace("-0000-7000", "-aaaa-7000"), extra
        assert "created_at" in extra
        assert not {"uuid", "event", "distinct_id", "timestamp"} & set(extra), extra


# --------------------------------------------------------------------------------------------
# Accounting: every landed row is loaded, a duplicate, filtered or quarantined
# --------------------------------------------------------------------------------------------


def test_every_landed_row_is_accounted_for(vendors):
    con, results = vendors
    assert fetch(con, "select count(*) from raw.accounts") == [(5,)]  # 3 SF + 2 HubSpot
    assert fetch(con, "select count(*) from raw.onboarding") == [(5,)]
    assert fetch(con, "select count(*) from raw.contracts") == [(7,)]  # 4 SF + 3 HubSpot
    assert fetch(con, "select count(*) from raw.events") == [(13,)]  # 3 + 3 + 3 + 4
    r = totals(results, "accounts")
    assert (r["rows_landed"], r["rows_loaded"], r["rows_quarantined"]) == (5, 5, 0)
    r = totals(results, "onboarding")
    assert (r["rows_landed"], r["rows_loaded"], r["rows_quarantined"]) == (5, 5, 0)
    r = totals(results, "contracts")
    # landed 7 SF + 5 HubSpot; filtered 2 + 2; quarantined 1 (Upsell)
    assert (
        r["rows_landed"],
        r["rows_loaded"],
        r["rows_duplicate"],
        r["rows_filtered"],
        r["rows_quarantined"],
        r["reasons"],
    ) == (12, 7, 0, 4, 1, 1)
    r = totals(results, "events")
    # landed 3 + 3 + 4 + 4; one Mixpanel duplicate
    assert (
        r["rows_landed"],
        r["rows_loaded"],
        r["rows_duplicate"],
        r["rows_filtered"],
        r["rows_quarantined"],
    ) == (14, 13, 1, 0, 0)

    # per source and file (a zip's members summed under the zip)
    per_file = fetch(
        con,
        """
        select source, split_part(file, '!', 1) as file, sum(rows_landed), sum(rows_loaded),
               sum(rows_duplicate), sum(rows_filtered), sum(rows_quarantined)
        from raw.landed_files group by all order by all""",
    )
    assert per_file == [
        ("amplitude_events", "amplitude/export.zip", 3, 3, 0, 0, 0),
        ("hubspot_companies", "hubspot/companies.csv", 2, 2, 0, 0, 0),
        ("hubspot_deals", "hubspot/deals.csv", 5, 3, 0, 2, 0),
        ("hubspot_onboarding", "hubspot/companies.csv", 2, 2, 0, 0, 0),
        ("mixpanel_events", "mixpanel/export.jsonl", 4, 3, 1, 0, 0),
        ("posthog_events", "posthog/events.jsonl", 2, 2, 0, 0, 0),
        ("posthog_events", "posthog/events.parquet", 2, 2, 0, 0, 0),
        ("salesforce_accounts", "salesforce/Account.csv", 3, 3, 0, 0, 0),
        ("salesforce_contracts", "salesforce/Opportunity.csv", 7, 4, 0, 2, 1),
        ("salesforce_onboarding", "salesforce/Account.csv", 3, 3, 0, 0, 0),
        ("segment_tracks", "segment/tracks.jsonl", 3, 3, 0, 0, 0),
    ]
    # the manifest identifies each file by size and content
    for file, size, sha in fetch(
        con,
        "select distinct file, size_bytes, sha256 from raw.landed_files where file not like '%!%'",
    ):
        data = (VENDORS / file).read_bytes()
        assert (size, sha) == (len(data), hashlib.sha256(data).hexdigest()), file
    # every canonical row says where it came from
    for table in ("accounts", "onboarding", "contracts", "events"):
        assert fetch(
            con,
            f"select count(*) from raw.{table} where _source is null "
            "or _file is null or _line is null or _line < 1",
        ) == [(0,)], table


# --------------------------------------------------------------------------------------------
# The mixed landing zone (HubSpot + Amplitude) builds the canonical marts
# --------------------------------------------------------------------------------------------


def _load_generator():
    spec = importlib.util.spec_from_file_location(
        "make_landing_mixed", FIXTURES / "make_landing_mixed.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_landing_mixed_is_what_the_generator_writes(tmp_path):
    _load_generator().main(SMALL_LANDING, tmp_path)
    written = sorted(p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*") if p.is_file())
    committed = sorted(p.relative_to(MIXED).as_posix() for p in MIXED.rglob("*") if p.is_file())
    assert (
        written
        == committed
        == [
            "amplitude/export.zip",
            "hubspot/hubspot-crm-exports-all-companies-2026-06-01.csv",
            "hubspot/hubspot-crm-exports-all-deals-2026-06-01.csv",
        ]
    )
    for rel in written:
        assert (tmp_path / rel).read_bytes() == (MIXED / rel).read_bytes(), rel


UNCLAIMED_CONTACTS = "hubspot/hubspot-crm-exports-all-contacts-2026-06-01.csv"


@pytest.fixture(scope="module")
def mixed_run(tmp_path_factory):
    """landing_mixed built by the real job, plus a HubSpot contacts export no source reads."""
    with pytest.MonkeyPatch.context() as monkeypatch:
        monkeypatch.delenv("TTV_SOURCES", raising=False)
        root = tmp_path_factory.mktemp("mixed")
        shutil.copytree(MIXED, root / "landing")
        (root / "landing" / UNCLAIMED_CONTACTS).write_text("Record ID,Email\n1,a@example.com\n")
        warehouse = root / "warehouse.duckdb"
        outcome = build_warehouse(monkeypatch, root / "landing", warehouse, SMALL_AS_OF)
        assert outcome.success, "\n".join(outcome.lines)
    return warehouse, outcome


@pytest.fixture(scope="module")
def built_mixed_warehouse(mixed_run) -> Path:
    return mixed_run[0]


def test_an_unclaimed_file_is_listed_by_the_run_and_published_in_the_manifest(mixed_run):
    """The run's output names it once (not once per table); the reconciliation checks pass."""
    warehouse, outcome = mixed_run
    listed = [line for line in outcome.lines if "unclaimed" in line]
    assert listed == [
        (
            "unclaimed: 1 landed file(s) no source in config/sources.yml reads "
            "(raw.landed_files status unclaimed)"
        ),
        f"    unclaimed {UNCLAIMED_CONTACTS}",
    ]
    assert query(
        warehouse,
        "select source, table_name, status, rows_landed from raw.landed_files where file = ?",
        [UNCLAIMED_CONTACTS],
    ) == [(None, None, "unclaimed", 0)]
    assert not [c for c in outcome.checks if c.check_name == "gx_raw_landed_files" and not c.passed]


def _same_rows(got: list[tuple], expected: list[tuple], columns: list[str], what: str) -> None:
    problems = []
    if len(got) != len(expected):
        problems.append(f"{len(got)} rows, expected {len(expected)}")
        missing = [r for r in expected if r not in got]
        unexpected = [r for r in got if r not in expected]
        problems += [f"missing {r}" for r in missing[:5]] + [
            f"unexpected {r}" for r in unexpected[:5]
        ]
    for i, (g, e) in enumerate(zip(got, expected, strict=False)):
        for name, gv, ev in zip(columns, g, e, strict=False):
            if isinstance(ev, float):
                ok = isinstance(gv, float) and gv == pytest.approx(ev, rel=1e-9, abs=1e-9)
            else:
                ok = gv == ev
            if not ok:
                problems.append(f"row {i} ({e[:3]}...) {name}: expected {ev!r}, got {gv!r}")
    assert not problems, f"{what}:\n  " + "\n  ".join(problems[:30])


def test_mixed_landing_zone_builds_the_same_marts_as_canonical(
    built_small_warehouse, built_mixed_warehouse
):
    for table in MARTS:
        sql = f"select * from marts.{table} order by all"
        with duckdb.connect(str(built_small_warehouse), read_only=True) as con:
            cur = con.execute(sql)
            columns = [d[0] for d in cur.description]
            expected = cur.fetchall()
        with duckdb.connect(str(built_mixed_warehouse), read_only=True) as con:
            cur = con.execute(sql)
            assert [d[0] for d in cur.description] == columns, table
            got = cur.fetchall()
        assert expected, table
        _same_rows(got, expected, columns, f"marts.{table}")


def test_mixed_landing_zone_loads_the_same_raw_rows(built_small_warehouse, built_mixed_warehouse):
    """The canonical columns of raw.* and the quarantine match too (localises a marts diff)."""
    # raw.* is in each run's working file; the quarantine is published
    small_raw, mixed_raw = (
        paths.working_warehouse_path(w) for w in (built_small_warehouse, built_mixed_warehouse)
    )
    for table, columns in (
        ("accounts", ACCOUNT_COLUMNS),
        ("onboarding", ONBOARDING_COLUMNS),
        ("contracts", CONTRACT_COLUMNS),
        ("events", EVENT_COLUMNS),
    ):
        sql = f"select {columns} from raw.{table} order by all"
        expected = query(small_raw, sql)
        _same_rows(
            query(mixed_raw, sql), expected, [c.strip() for c in columns.split(",")], f"raw.{table}"
        )
    sql = "select event_id, properties from raw.events order by event_id"
    assert [(i, json.loads(p)) for i, p in query(mixed_raw, sql)] == [
        (i, json.loads(p)) for i, p in query(small_raw, sql)
    ]
    # the same two bad events, now found in Amplitude members (JSON lines count from line 1):
    # E9901 (account A99) is the 3rd record of the 2026_02.jsonl member, E1004 ("last
    # tuesday") the 3rd of the 2026_03.csv member
    sql = "select file, line, column_name, reason from quarantine.rejected_rows order by reason"
    canonical = query(built_small_warehouse, sql)
    assert [(c, "A99" in r or "last tuesday" in r) for _, _, c, r in canonical] == [
        ("account_id", True),
        ("occurred_at", True),
    ]
    assert query(built_mixed_warehouse, sql) == [
        (
            "amplitude/export.zip!187520/187520_2026-01-15_12#0.json.gz",
            3,
            "account_id",
            canonical[0][3],
        ),
        (
            "amplitude/export.zip!187520/187520_2026-03-03_20#0.json.gz",
            3,
            "occurred_at",
            canonical[1][3],
        ),
    ]


# --------------------------------------------------------------------------------------------
# A new source by configuration alone
# --------------------------------------------------------------------------------------------

WEBHOOKS_ENTRY = """
  # ---- added by a test: an in-house webhook relay, JSON lines ------------------------------
  webhooks:
    table: events
    files: [webhooks/*.jsonl]
    fields:
      event_id: id
      account_id: org.id
      user_id: actor.email
      event_name: action
      occurred_at: {field: at, epoch: milliseconds}
      properties: payload
"""
WEBHOOK_LINES = [
    {
        "id": "wh_001",
        "org": {"id": "w1"},
        "actor": {"email": "ann@example.com"},
        "action": "login",
        "at": 1770113700123,
        "payload": {"ip": "198.51.100.4"},
    },
    {
        "id": "wh_002",
        "org": {"id": "w2"},
        "actor": {"email": "bo@example.com"},
        "action": "project_created",
        "at": 1770220800000,
        "payload": {},
        "attempt": 2,
    },
    {
        "id": "wh_001",
        "org": {"id": "w1"},
        "actor": {"email": "ann@example.com"},
        "action": "login",
        "at": 1770113700123,
        "payload": {"ip": "198.51.100.4"},
    },  # redelivered
    {
        "id": "wh_003",
        "org": {"id": "nobody"},
        "actor": {"email": "x@example.com"},
        "action": "login",
        "at": 1770113700000,
        "payload": {},
    },  # unknown account
]


def _webhook_landing(root: Path) -> Path:
    landing_dir = root / "landing"
    (landing_dir / "crm").mkdir(parents=True)
    (landing_dir / "crm/accounts.csv").write_text(
        "account_id,account_name,segment,industry,plan_tier,sales_channel,csm_owner,region,"
        "created_at,churned_at,churn_reason\n"
        "w1,Wombat,SMB,Retail,team,direct,dave,NA,2026-01-02,,\n"
        "w2,Walrus,PLG,Software,free,self-serve,,EMEA,2026-01-03,,\n"
    )
    (landing_dir / "webhooks").mkdir()
    (landing_dir / "webhooks/2026-02-03.jsonl").write_text(
        "".join(json.dumps(r) + "\n" for r in WEBHOOK_LINES)
    )
    return landing_dir


def test_a_source_added_by_configuration_alone(tmp_path, monkeypatch):
    registry_copy = tmp_path / "sources.yml"
    registry_copy.write_text(REGISTRY.read_text().rstrip("\n") + "\n" + WEBHOOKS_ENTRY)
    monkeypatch.setenv("TTV_SOURCES", str(registry_copy))
    landing_dir = _webhook_landing(tmp_path)

    # the shipped registry does not know webhooks/: the file is ignored
    with duckdb.connect(str(tmp_path / "before.duckdb")) as con:
        landing.load_landing(con, landing_dir, sources.load_registry(REGISTRY))
        assert fetch(con, "select count(*) from raw.events") == [(0,)]

    assert paths.sources_file() == registry_copy.resolve()
    registry = sources.load_registry(paths.sources_file())
    with duckdb.connect(str(tmp_path / "after.duckdb")) as con:
        results = landing.load_landing(con, landing_dir, registry)
        got = fetch(
            con,
            f"select {EVENT_COLUMNS}, properties, _source, _file, _line "
            "from raw.events order by event_id",
        )
        # at 1770113700123 ms = 1770113700 s (2026-02-03 10:15:00 UTC, see the Mixpanel test)
        # + 123 ms; 1770220800000 ms = 2026-02-04 16:00:00 UTC
        assert [r[:5] + (json.loads(r[5]),) + r[6:] for r in got] == [
            (
                "wh_001",
                "w1",
                "ann@example.com",
                "login",
                T(2026, 2, 3, 10, 15, 0, 123000),
                {"ip": "198.51.100.4"},
                "webhooks",
                "webhooks/2026-02-03.jsonl",
                1,
            ),
            (
                "wh_002",
                "w2",
                "bo@example.com",
                "project_created",
                T(2026, 2, 4, 16, 0),
                {},
                "webhooks",
                "webhooks/2026-02-03.jsonl",
                2,
            ),
        ]
        extra = json.loads(
            fetch(con, "select _extra from raw.events where event_id = 'wh_002'")[0][0]
        )
        assert extra["attempt"] == 2  # an unknown field is kept, not fatal
        assert not {"id", "action", "at", "payload"} & set(extra), extra
        rejected = fetch(
            con, "select source, file, line, column_name, reason from quarantine.rejected_rows"
        )
        assert len(rejected) == 1, rejected
        assert rejected[0][:4] == ("webhooks", "webhooks/2026-02-03.jsonl", 4, "account_id")
        assert "unknown account" in rejected[0][4].lower()
        r = totals(results, "events")
        assert (r["rows_landed"], r["rows_loaded"], r["rows_duplicate"], r["rows_quarantined"]) == (
            4,
            2,
            1,
            1,
        )


def test_a_registry_mistake_is_one_sentence_naming_the_source(tmp_path):
    broken = tmp_path / "sources.yml"
    broken.write_text(
        REGISTRY.read_text().rstrip("\n")
        + "\n"
        + WEBHOOKS_ENTRY.replace("table: events", "table: clicks")
    )
    with pytest.raises(sources.RegistryError) as error:
        sources.load_registry(broken)
    message = str(error.value)
    assert "webhooks" in message and "table" in message
    assert "\n" not in message.strip()


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        ({"colour": "red"}, "source 'x': unknown key colour"),
        (
            {"fields": {"event_id": {"field": "id", "epoch": "days"}}},
            "source 'x' field event_id epoch: must be 'seconds' or 'milliseconds', got 'days'",
        ),
        (
            {"fields": {"event_id": {"field": "id", "mapping": {}}}},
            "source 'x' field event_id: unknown key mapping",
        ),
        (
            {"fields": {"event_id": 5}},
            "source 'x' field event_id: must be a name or a list or a mapping",
        ),
        (
            {"format": "xml"},
            "source 'x' format: must be 'csv', 'jsonl', 'parquet' or 'zip', got 'xml'",
        ),
    ],
)
def test_a_key_the_registry_does_not_know_or_a_wrong_value_is_one_sentence(entry, message):
    # the registry is read through a typed model (issue 11) that refuses keys it does not know
    with pytest.raises(sources.RegistryError) as error:
        sources.parse_registry(
            {"sources": {"x": {"table": "events", "files": ["a/*.csv"], **entry}}},
            schema.table_columns(),
        )
    assert str(error.value) == message
