"""The checks that Great Expectations cannot express: the working file against the previously
published warehouse (volumes, milestones still reached), the catalogue's events against the
loaded ones, and the newest facts against the as-of date.

They report as a `quality.SuiteOutcome`, so a Dagster check and `make run` show them like the
GX suites.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import duckdb

from dagster_project.lib.quality import ERROR, WARN, ExpectationOutcome, SuiteOutcome
from dagster_project.lib.sql import ident

VOLUME_SUITE, REACHED_SUITE, FRESHNESS_SUITE = "volume", "milestones_reached", "freshness"


def _count(con, schema: str, table: str) -> int | None:
    """Rows of `schema.table` in an open warehouse, None when it has no such table. A published
    warehouse keeps no raw tables: their loaded rows are the sum of raw.landed_files."""
    found = con.execute(
        "select count(*) from duckdb_tables() where schema_name = ? and table_name = ?",
        [schema, table],
    ).fetchone()[0]
    if found:
        return con.execute(f"select count(*) from {ident(schema)}.{ident(table)}").fetchone()[0]
    if (
        schema == "raw"
        and con.execute(
            "select count(*) from duckdb_tables() where schema_name = 'raw' "
            "and table_name = 'landed_files'"
        ).fetchone()[0]
    ):
        return con.execute(
            "select coalesce(sum(rows_loaded), 0)::bigint from raw.landed_files "
            "where table_name = ?",
            [table],
        ).fetchone()[0]
    return None


def _open_published(published: Path):
    """The published warehouse read-only, or None when there is none yet."""
    published = Path(published)
    if not published.is_file():
        return None
    return duckdb.connect(str(published), read_only=True)


def is_accepted(table: str, accepted: set[str]) -> bool:
    """Whether `schema.table` is named (with or without its schema) in the accepted changes."""
    return bool({"all", table, table.split(".", 1)[-1]} & accepted)


def published_as_of(con) -> dt.date | None:
    """The as-of date of an open warehouse: the latest `as_of_date` of its marts."""
    tables = con.execute(
        "select distinct table_name from duckdb_columns() where schema_name = "
        "'marts' and column_name = 'as_of_date' order by 1"
    ).fetchall()
    dates = [
        con.execute(f'select max(as_of_date) from marts."{t}"').fetchone()[0] for (t,) in tables
    ]
    dates = [d for d in dates if d is not None]
    return max(dates) if dates else None


def compare_volume(
    working: Path,
    published: Path,
    tables: list[tuple[str, str]],
    *,
    max_shrink: float,
    accepted: set[str],
    as_of: dt.date | None = None,
) -> list[SuiteOutcome]:
    """Each table's rows in the working file against the previously published warehouse: a
    table that lost more than `max_shrink` of its rows, or became empty, fails with severity
    error, unless it is `accepted` (then it is a warning). No published warehouse: all pass.
    Marts built for an earlier as-of than the published ones are smaller by design: not
    compared (a CRM export is the same whatever the as-of date, so raw tables always are)."""
    outcomes = []
    with duckdb.connect(str(working), read_only=True) as con:
        current = {(s, t): _count(con, s, t) or 0 for s, t in tables}
    before = _open_published(published)
    try:
        before_as_of = published_as_of(before) if before else None
        for schema, table in tables:
            name, now = f"{schema}.{table}", current[(schema, table)]
            previous = _count(before, schema, table) if before else None
            if schema != "raw" and as_of and before_as_of and before_as_of > as_of:
                previous = None
            shrunk = (
                previous is not None
                and previous > 0
                and (now == 0 or (previous - now) / previous > max_shrink)
            )
            severity = WARN if shrunk and is_accepted(name, accepted) else ERROR
            if previous is None:
                message = f"{name}: {now} rows, no published table to compare with" + (
                    f" as of {as_of.isoformat()} (published as of {before_as_of.isoformat()})"
                    if before_as_of and as_of and before_as_of > as_of
                    else ""
                )
            elif not shrunk:
                message = f"{name}: {now} rows, the published warehouse has {previous}"
            else:
                share = round(100 * (previous - now) / previous)
                message = (
                    f"{name}: {now} rows, the published warehouse has {previous} "
                    f"({'now empty' if now == 0 else f'{share}% fewer'}, more than "
                    f"the {max_shrink:.0%} allowed)"
                )
                message += (
                    "; accepted by TTV_ACCEPT_VOLUME_CHANGE"
                    if severity == WARN
                    else f". If the change is intended, run again with "
                    f"TTV_ACCEPT_VOLUME_CHANGE={name}"
                )
            outcomes.append(
                SuiteOutcome(
                    VOLUME_SUITE,
                    name,
                    now,
                    [
                        ExpectationOutcome(
                            expectation="volume_against_published",
                            column=None,
                            severity=severity,
                            success=not shrunk,
                            unexpected_count=None,
                            examples=[] if previous is None else [previous, now],
                            message=message,
                            why="a truncated or empty export must not replace yesterday's numbers "
                            "(issue 9): the previous warehouse stays published until the change "
                            "is accepted",
                        )
                    ],
                )
            )
    finally:
        if before:
            before.close()
    return outcomes


def compare_reached(
    working: Path, published: Path, schema: str, table: str, accepted: set[str] = frozenset()
) -> SuiteOutcome:
    """Milestones that some account reached in the published warehouse and none reaches now
    (a `milestone` column and a `reached_at` column): a renamed event or CRM field, an export
    that lost a column. Severity error, unless `accepted` names the table (a warning then)."""
    query = (
        f"select milestone, count(reached_at) from {ident(schema)}.{ident(table)} "
        "group by milestone"
    )
    with duckdb.connect(str(working), read_only=True) as con:
        now = dict(con.execute(query).fetchall())
    before = _open_published(published)
    previous: dict = {}
    if before:
        try:
            if _count(before, schema, table) is not None:
                previous = dict(before.execute(query).fetchall())
        finally:
            before.close()
    lost = sorted(m for m, n in previous.items() if n and not now.get(m))
    name = f"{schema}.{table}"
    severity = WARN if lost and is_accepted(name, accepted) else ERROR
    message = (
        f"{name}: {len(lost)} milestone{'' if len(lost) == 1 else 's'} reached by no "
        "account, reached before: "
        + ", ".join(f"{m} (published: {previous[m]} accounts)" for m in lost)
        + (
            "; accepted by TTV_ACCEPT_VOLUME_CHANGE"
            if severity == WARN
            else "; check the catalogue (config/ttv.yml) and the exports, or accept with "
            f"TTV_ACCEPT_VOLUME_CHANGE={name}"
        )
        if lost
        else f"{name}: every milestone reached before is still reached"
    )
    return SuiteOutcome(
        REACHED_SUITE,
        name,
        sum(now.values()),
        [
            ExpectationOutcome(
                expectation="milestones_still_reached",
                column="milestone",
                severity=severity,
                success=not lost,
                unexpected_count=len(lost),
                examples=lost,
                message=message,
                why="a milestone that every account loses at once is a renamed event or field, not "
                "customer behaviour (issue 9)",
            )
        ],
    )


# The newest fact of each canonical table: what "fresh" means for its sources.
FACT_TIMESTAMPS = {
    "events": ("occurred_at",),
    "accounts": ("created_at", "churned_at"),
    "contracts": ("signed_at",),
    "onboarding": (
        "kickoff_at",
        "access_provisioned_at",
        "configuration_completed_at",
        "data_migrated_at",
        "training_completed_at",
        "first_production_use_at",
        "value_confirmed_at",
        "full_value_at",
    ),
}


def newest_facts(working: Path, as_of: dt.date) -> dict[str, dt.date | None]:
    """The newest fact dated on or before as-of (00:00 UTC), per source of the raw tables."""
    newest: dict[str, dt.date | None] = {}
    cutoff = dt.datetime.combine(as_of, dt.time())
    with duckdb.connect(str(working), read_only=True) as con:
        present = {
            r[0]
            for r in con.execute(
                "select table_name from duckdb_tables() where schema_name = 'raw'"
            ).fetchall()
        }
        for table, columns in FACT_TIMESTAMPS.items():
            if table not in present:
                continue
            latest = (
                "greatest("
                + ", ".join(f"max(case when {c} <= ? then {c} end)" for c in columns)
                + ")"
            )
            for source, value in con.execute(
                f"select _source, {latest} from raw.{table} group by _source",
                [cutoff] * len(columns),
            ).fetchall():
                day = value.date() if value else None
                if source not in newest or (
                    day and (newest[source] is None or day > newest[source])
                ):
                    newest[source] = day
    return newest


def check_freshness(working: Path, as_of: dt.date, max_days: int) -> SuiteOutcome:
    """A warning when a source's newest fact is more than `max_days` days before as-of (a
    stale export, or an as-of date far past the data: every account looks more overdue)."""
    newest = newest_facts(working, as_of)
    stale = {s: d for s, d in newest.items() if d is None or (as_of - d).days > max_days}
    listing = ", ".join(f"{s} {d.isoformat() if d else 'none'}" for s, d in sorted(newest.items()))
    if stale:
        message = (
            f"{len(stale)} source{'' if len(stale) == 1 else 's'} with nothing in the "
            f"{max_days} days before as-of {as_of.isoformat()}: "
            + ", ".join(
                f"{s} (newest {d.isoformat() if d else 'none'}"
                f"{f', {(as_of - d).days} days before' if d else ''})"
                for s, d in sorted(stale.items())
            )
            + "; is an export missing, or should TTV_AS_OF be earlier?"
            + (
                f" (fresh: {', '.join(f'{s} {d.isoformat()}' for s, d in sorted(newest.items()) if s not in stale)})"
                if len(stale) < len(newest)
                else ""
            )
        )
    else:
        message = f"newest fact per source: {listing or 'no sources loaded'}"
    return SuiteOutcome(
        FRESHNESS_SUITE,
        "raw.*",
        len(newest),
        [
            ExpectationOutcome(
                expectation="newest_fact_within_days",
                column=None,
                severity=WARN,
                success=not stale,
                unexpected_count=len(stale),
                examples=[
                    {"source": s, "newest": d.isoformat() if d else None}
                    for s, d in sorted(stale.items())
                ],
                message=message,
                why="durations run to as-of: with exports days behind it, accounts look more overdue "
                "every day; reported, not blocking, as a quiet weekend is possible",
            )
        ],
    )


def unknown_events_outcome(unknown: list) -> SuiteOutcome:
    """The catalogue's events missing from the loaded events (lib/catalogue.py,
    events_not_in_data): a milestone's with a near loaded name is an error (a misspelling: it
    would be reached by no account, without a word); the others are warnings (UnknownEvent)."""
    outcomes = [
        ExpectationOutcome(
            expectation="catalogue_event_occurs",
            column="event_name",
            severity=ERROR if u.is_error else WARN,
            success=False,
            unexpected_count=1,
            examples=[u.event_name],
            message=f"config.{u.table}: {u.message}",
            why="a misspelt event name silently leaves its milestone reached by no account "
            "(issue 9); fix config/ttv.yml",
        )
        for u in unknown
    ]
    if not outcomes:
        outcomes = [
            ExpectationOutcome(
                expectation="catalogue_event_occurs",
                column="event_name",
                severity=ERROR,
                success=True,
                unexpected_count=0,
                examples=[],
                message="every event the catalogue names occurs in the loaded events",
            )
        ]
    return SuiteOutcome("catalogue_events", "config.*", len(unknown), outcomes)
