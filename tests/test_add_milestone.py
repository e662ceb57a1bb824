"""Adding a CRM milestone is an edit of the catalogue (config/ttv.yml) and of the canonical schema
(config/schema.yml) only (issue 11): no SQL, no Python.

The hand-made landing zone of tests/test_end_to_end.py, copied, gains an onboarding column
`security_review_at`; a copy of the schema declares it, a copy of the catalogue names it in a new
milestone `security_reviewed`, and the real daily job builds the warehouse as of 2026-06-01.

  A01 Enterprise  start: contract C01 signed 2026-01-05 12:00; security review 2026-01-15 12:00
  A02 Enterprise  start: contract C03 signed 2026-01-10 00:00; security review 2026-01-12 06:00
  A04 Mid-Market  security review 2026-07-01, after the as-of date: not reached yet
  the others      no security review entered
"""

from __future__ import annotations

import csv
import datetime as dt
import shutil

from dagster_project import paths
from tests.conftest import SMALL_AS_OF, SMALL_LANDING, build_warehouse, query

REVIEWS = {"A01": "2026-01-15T12:00:00Z", "A02": "2026-01-12T06:00:00Z", "A04": "2026-07-01"}
STARTS = {"A01": dt.datetime(2026, 1, 5, 12), "A02": dt.datetime(2026, 1, 10)}


def _days(start: dt.datetime, end: dt.datetime) -> float:
    return (end - start).total_seconds() / 86400


def _add_column(csv_path, column: str, values: dict[str, str]) -> None:
    with csv_path.open(newline="") as handle:
        rows = list(csv.DictReader(handle))
    header = [*rows[0].keys(), column]
    with csv_path.open("w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=header)
        writer.writeheader()
        for row in rows:
            writer.writerow({**row, column: values.get(row["account_id"], "")})


def _insert_before(original, anchor: str, copy, text: str):
    """A copy of a configuration file with `text` inserted before the line `anchor` starts."""
    content = original.read_text()
    assert content.count(anchor) == 1
    copy.write_text(content.replace(anchor, text + anchor))
    return copy


def test_a_new_crm_milestone_is_configuration_only(tmp_path, monkeypatch):
    landing = tmp_path / "landing"
    shutil.copytree(SMALL_LANDING, landing)
    _add_column(landing / "crm" / "onboarding.csv", "security_review_at", REVIEWS)

    schema_file = _insert_before(
        paths.SCHEMA_FILE,
        "      full_value_at: {type: timestamp",
        tmp_path / "schema.yml",
        '      security_review_at: {type: timestamp, description: "Security review passed '
        '(UTC)."}\n',
    )
    catalogue_file = _insert_before(
        paths.CATALOGUE_FILE,
        "  - name: full_value\n",
        tmp_path / "ttv.yml",
        "  - name: security_reviewed\n    source: crm\n    owner: it\n"
        "    crm_field: security_review_at\n    description: Security review passed.\n",
    )

    monkeypatch.setenv("TTV_SCHEMA", str(schema_file))
    monkeypatch.setenv("TTV_CATALOGUE", str(catalogue_file))
    warehouse = tmp_path / "warehouse.duckdb"
    outcome = build_warehouse(monkeypatch, landing, warehouse, SMALL_AS_OF)
    assert outcome.success, "\n".join(outcome.lines)

    rows = {
        r[0]: r[1:]
        for r in query(
            warehouse,
            """
        select account_id, milestone_order, source, owner, reached_at, days_from_start, status
        from marts.account_milestones where milestone = 'security_reviewed'""",
        )
    }
    accounts = query(warehouse, "select account_id from marts.account_ttv order by all")
    # one row per account, reached or not (SPEC §4)
    assert sorted(rows) == [a for (a,) in accounts]
    # placed before full_value: the 14th of the 15 milestones, in catalogue order
    full_value_order = query(
        warehouse,
        "select distinct milestone_order from "
        "marts.account_milestones where milestone = 'full_value'",
    )
    assert {r[0] for r in rows.values()} == {full_value_order[0][0] - 1}
    for account, start in STARTS.items():
        reached = dt.datetime.fromisoformat(REVIEWS[account].replace("Z", ""))
        assert rows[account][1:] == ("crm", "it", reached, _days(start, reached), "reached")
    # 2026-07-01 is after the as-of date: not known yet
    assert rows["A04"][3:5] == (None, None)
    assert {a for a, r in rows.items() if r[3] is not None} == set(STARTS)
    # the milestone's own numbers, hand-worked: 10.0 and 2.25 days
    assert [rows[a][4] for a in ("A01", "A02")] == [10.0, 2.25]
