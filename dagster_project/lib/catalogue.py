"""The milestone catalogue: reads `config/ttv.yml`, validates it, and turns it into the `config`
tables the dbt models read (SPEC §6), so that changing a definition never means editing SQL.

Run `python -m dagster_project.lib.catalogue [FILE]` to validate a catalogue and print its tables.
"""

from __future__ import annotations

import datetime as dt
import difflib
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, StrictInt, StringConstraints, ValidationError

from dagster_project import paths
from dagster_project.lib.config_models import friendly_errors
from dagster_project.lib.schema import milestone_date_columns
from dagster_project.lib.sql import literal

RULES = ("contract", "crm_field", "first_event", "all_events", "active_days")
CONTRACT_TYPES = ("new_business", "renewal", "expansion")


class CatalogueError(ValueError):
    """The catalogue file says something the warehouse cannot measure."""


@dataclass(frozen=True)
class Catalogue:
    """The catalogue as rows of the `config` tables, one list of dicts per table."""

    milestones: list[dict]
    milestone_events: list[dict]
    journeys: list[dict]
    segments: list[dict]
    milestone_targets: list[dict]
    journey_segments: list[dict]
    segment_groups: list[dict]
    experiments: list[dict]
    features: list[dict]

    def tables(self) -> dict[str, list[dict]]:
        return {
            "milestones": self.milestones,
            "milestone_events": self.milestone_events,
            "journeys": self.journeys,
            "segments": self.segments,
            "milestone_targets": self.milestone_targets,
            "journey_segments": self.journey_segments,
            "segment_groups": self.segment_groups,
            "experiments": self.experiments,
            "features": self.features,
        }


# Column types of each config table, in order: the contract between this module and dbt sources.
TABLE_COLUMNS: dict[str, dict[str, str]] = {
    "milestones": {
        "milestone": "varchar",
        "milestone_order": "integer",
        "source": "varchar",
        "owner": "varchar",
        "rule": "varchar",
        "crm_field": "varchar",
        "contract_type": "varchar",
        "min_active_days": "integer",
        "window_days": "integer",
        "is_value_milestone": "boolean",
        "description": "varchar",
    },
    "milestone_events": {"milestone": "varchar", "event_name": "varchar"},
    "journeys": {"journey": "varchar", "step_order": "integer", "milestone": "varchar"},
    "segments": {
        "segment": "varchar",
        "is_default": "boolean",
        "start_milestone": "varchar",
        "value_milestone": "varchar",
        "first_value_milestone": "varchar",
        "full_value_milestone": "varchar",
        "target_days": "double",
        "best_in_class_days": "double",
        "stall_after_days": "double",
        "benchmark_low_days": "double",
        "benchmark_high_days": "double",
    },
    "milestone_targets": {"segment": "varchar", "milestone": "varchar", "target_days": "double"},
    "journey_segments": {"journey": "varchar", "segment": "varchar"},
    "segment_groups": {"segment_group": "varchar", "segment": "varchar"},
    "experiments": {
        "experiment": "varchar",
        "arm_column": "varchar",
        "control_arm": "varchar",
        "alpha": "double",
    },
    "features": {"feature": "varchar", "event_name": "varchar", "released_at": "date"},
}

# What each config table and column holds, written once in the dbt source YAML that dbt docs
# show, and read from there for the tables' DuckDB comments, so a SQL client shows the same
# words (SPEC §4.1).
CONFIG_SOURCES_FILE = (
    paths.DBT_PROJECT_DIR / "models" / "staging" / "config" / "_config__sources.yml"
)


def _config_descriptions() -> tuple[dict[str, str], dict[str, dict[str, str]]]:
    """(table -> description, table -> column -> description) of the dbt source `config`."""
    doc = yaml.safe_load(CONFIG_SOURCES_FILE.read_text(encoding="utf-8"))
    (source,) = [s for s in doc["sources"] if s["name"] == "config"]
    tables = {t["name"]: t["description"] for t in source["tables"]}
    columns = {
        t["name"]: {c["name"]: c["description"] for c in t.get("columns", [])}
        for t in source["tables"]
    }
    return tables, columns


TABLE_DESCRIPTIONS, COLUMN_DESCRIPTIONS = _config_descriptions()

# The account_ttv columns an experiment's arm may be read from (text columns of onboarding).
EXPERIMENT_ARM_COLUMNS = (
    "onboarding_variant",
    "configuration_approach",
    "touch_model",
    "plan_tier",
    "sales_channel",
)
DEFAULT_ALPHA = 0.05

# The row of `config.segments` that applies to accounts whose segment is not listed.
DEFAULT_SEGMENT = "*"


def load_catalogue(path: Path) -> Catalogue:
    """Read and validate a catalogue file; raise CatalogueError with the file and the reason."""
    try:
        doc = yaml.safe_load(path.read_text())
    except FileNotFoundError:
        raise CatalogueError(f"{path}: catalogue file not found") from None
    except yaml.YAMLError as exc:
        raise CatalogueError(f"{path}: not valid YAML: {exc}") from None
    try:
        return parse_catalogue(doc or {})
    except CatalogueError as exc:
        raise CatalogueError(f"{path}: {exc}") from None


# ---- the file's typed model (config/ttv.schema.json is generated from it) -----------------

Name = Annotated[str, StringConstraints(min_length=1)]
Days = Annotated[float, Field(ge=0)]


class ActiveDays(BaseModel):
    model_config = ConfigDict(extra="forbid")
    days: StrictInt
    within_days: StrictInt


class MilestoneEntry(BaseModel):
    """A milestone: its name, who owns it and exactly one rule (contract, crm_field,
    first_event, all_events or active_days)."""

    model_config = ConfigDict(extra="forbid")
    name: Name
    source: Literal["crm", "product"] | None = None
    owner: str | None = None
    description: str | None = None
    value: bool = False
    contract: Literal[CONTRACT_TYPES] | None = None  # type: ignore[valid-type]
    crm_field: str | None = None
    first_event: Name | None = None
    all_events: Annotated[list[Name], Field(min_length=1)] | None = None
    active_days: ActiveDays | None = None


class JourneyEntry(BaseModel):
    model_config = ConfigDict(extra="forbid")
    milestones: list[str]
    segments: list[str] | None = None


class Clock(BaseModel):
    model_config = ConfigDict(extra="forbid")
    start_milestone: Name
    value_milestone: Name
    first_value_milestone: Name
    full_value_milestone: Name


class SegmentEntry(BaseModel):
    model_config = ConfigDict(extra="forbid")
    start_milestone: Name | None = None
    value_milestone: Name | None = None
    first_value_milestone: Name | None = None
    full_value_milestone: Name | None = None
    target_days: Days | None = None
    best_in_class_days: Days | None = None
    stall_after_days: Days | None = None
    benchmark_days: tuple[Days, Days] | None = None
    milestone_targets: dict[str, Days] | None = None


class ExperimentEntry(BaseModel):
    model_config = ConfigDict(extra="forbid")
    arm_column: Literal[EXPERIMENT_ARM_COLUMNS]  # type: ignore[valid-type]
    control_arm: str | int | float
    alpha: Annotated[float, Field(gt=0, lt=1)] = DEFAULT_ALPHA


class FeatureEntry(BaseModel):
    model_config = ConfigDict(extra="forbid")
    event: Name
    released_at: dt.date


class CatalogueFile(BaseModel):
    """config/ttv.yml."""

    model_config = ConfigDict(extra="forbid")
    milestones: Annotated[list[MilestoneEntry], Field(min_length=1)]
    # checked after the milestones (their messages come first, as they always did)
    journeys: dict[str, JourneyEntry] | None = None
    clock: Clock | None = None
    segments: dict[str, SegmentEntry | None] = {}
    segment_groups: dict[str, list[str]] | None = None
    experiments: dict[str, ExperimentEntry] | None = None
    features: dict[str, FeatureEntry] | None = None


_PLACES = {
    "milestones": "milestone",
    "journeys": "journey",
    "segments": "segment",
    "segment_groups": "segment group",
    "experiments": "experiment",
    "features": "feature",
}


def _where(loc: tuple) -> str:
    """A place in the catalogue as its messages name it: `segment 'SMB' stall_after_days`."""
    if len(loc) < 2 or loc[0] not in _PLACES:
        return " ".join(f"`{p}`" if i == 0 else str(p) for i, p in enumerate(loc))
    entry = f"#{loc[1] + 1}" if isinstance(loc[1], int) else repr(loc[1])
    return " ".join([f"{_PLACES[loc[0]]} {entry}", *(str(p) for p in loc[2:])])


def parse_catalogue(doc: dict) -> Catalogue:
    try:
        model = CatalogueFile.model_validate(doc or {})
    except ValidationError as exc:
        raise CatalogueError(friendly_errors(exc, _where)) from None
    milestones, milestone_events = _parse_milestones(model.milestones)
    names = {m["milestone"] for m in milestones}
    if not model.journeys:
        raise CatalogueError("`journeys` must map journey names to their milestones")
    if model.clock is None:
        raise CatalogueError(f"`clock` must name {', '.join(CLOCK_KEYS)}")
    journeys = _parse_journeys(model.journeys, names)
    segments, targets = _parse_segments(model.clock, model.segments, names)
    journey_segments = _parse_journey_segments(model.journeys, segments)
    groups = _parse_segment_groups(model.segment_groups or {}, segments)
    experiments = _parse_experiments(model.experiments or {})
    features = [
        {"feature": name, "event_name": spec.event, "released_at": spec.released_at}
        for name, spec in (model.features or {}).items()
    ]
    return Catalogue(
        milestones,
        milestone_events,
        journeys,
        segments,
        targets,
        journey_segments,
        groups,
        experiments,
        features,
    )


def _parse_milestones(items: list[MilestoneEntry]) -> tuple[list[dict], list[dict]]:
    rows, events, seen = [], [], set()
    for order, item in enumerate(items, start=1):
        name = item.name
        if name in seen:
            raise CatalogueError(f"milestone {name!r} is declared twice")
        seen.add(name)
        rules = [r for r in RULES if getattr(item, r) is not None]
        if len(rules) != 1:
            raise CatalogueError(
                f"milestone {name!r} needs exactly one rule of {', '.join(RULES)}; "
                f"it has {', '.join(rules) or 'none'}"
            )
        rule = rules[0]
        row = {
            "milestone": name,
            "milestone_order": order,
            "source": item.source or ("crm" if rule in ("contract", "crm_field") else "product"),
            "owner": item.owner,
            "rule": rule,
            "crm_field": None,
            "contract_type": None,
            "min_active_days": None,
            "window_days": None,
            "is_value_milestone": item.value,
            "description": item.description,
        }
        if rule == "contract":
            row["contract_type"] = item.contract
        elif rule == "crm_field":
            # the onboarding timestamps of the canonical schema (config/schema.yml)
            fields = milestone_date_columns()
            if item.crm_field not in fields:
                raise CatalogueError(
                    f"milestone {name!r}: crm_field {item.crm_field!r} is not a column of "
                    f"crm/onboarding.csv{did_you_mean(item.crm_field, fields)} "
                    f"({', '.join(fields)})"
                )
            row["crm_field"] = item.crm_field
        elif rule == "first_event":
            events.append({"milestone": name, "event_name": item.first_event})
        elif rule == "all_events":
            events.extend(
                {"milestone": name, "event_name": e} for e in dict.fromkeys(item.all_events)
            )
        else:  # active_days
            days, within = item.active_days.days, item.active_days.within_days
            if not 1 <= days <= within:
                raise CatalogueError(
                    f"milestone {name!r}: active_days needs whole numbers 1 <= days <= within_days"
                )
            row["min_active_days"], row["window_days"] = days, within
        rows.append(row)
    return rows, events


def _parse_journeys(journeys: dict[str, JourneyEntry], names: set[str]) -> list[dict]:
    rows = []
    for journey, spec in journeys.items():
        steps = spec.milestones
        if len(steps) < 2:
            raise CatalogueError(f"journey {journey!r} needs a list of at least two milestones")
        unknown = [s for s in steps if s not in names]
        if unknown:
            raise CatalogueError(f"journey {journey!r} names unknown milestones: {unknown}")
        if len(set(steps)) != len(steps):
            raise CatalogueError(f"journey {journey!r} lists a milestone twice")
        rows.extend(
            {"journey": journey, "step_order": i, "milestone": m}
            for i, m in enumerate(steps, start=1)
        )
    return rows


CLOCK_KEYS = ("start_milestone", "value_milestone", "first_value_milestone", "full_value_milestone")


def _parse_segments(
    clock: Clock, segments: dict[str, SegmentEntry | None], names: set[str]
) -> tuple[list[dict], list[dict]]:
    rows, targets = [], []
    entries = [(DEFAULT_SEGMENT, SegmentEntry())] + list(segments.items())
    for segment, spec in entries:
        spec = spec or SegmentEntry()
        row = {"segment": segment, "is_default": segment == DEFAULT_SEGMENT}
        for key in CLOCK_KEYS:
            row[key] = getattr(spec, key) or getattr(clock, key)
            if row[key] not in names:
                raise CatalogueError(f"segment {segment!r}: {key} {row[key]!r} is not a milestone")
        for key in ("target_days", "best_in_class_days", "stall_after_days"):
            row[key] = getattr(spec, key)
        low, high = spec.benchmark_days or (None, None)
        if low is not None and low > high:
            raise CatalogueError(
                f"segment {segment!r}: benchmark_days must be [low, high] with 0 <= low <= high"
            )
        row["benchmark_low_days"], row["benchmark_high_days"] = low, high
        rows.append(row)
        if row["target_days"] is not None:
            targets.append(
                {
                    "segment": segment,
                    "milestone": row["value_milestone"],
                    "target_days": row["target_days"],
                }
            )
        for milestone, days in (spec.milestone_targets or {}).items():
            if milestone not in names:
                raise CatalogueError(
                    f"segment {segment!r}: target for unknown milestone {milestone!r}"
                )
            if milestone == row["value_milestone"]:
                raise CatalogueError(
                    f"segment {segment!r}: set the value milestone's target with target_days"
                )
            targets.append({"segment": segment, "milestone": milestone, "target_days": days})
    return rows, targets


def _parse_experiments(items: dict[str, ExperimentEntry]) -> list[dict]:
    """Experiments (SPEC §9.5): `name: {arm_column, control_arm, alpha}`."""
    rows = []
    for name, spec in items.items():
        if str(spec.control_arm).strip() == "":
            raise CatalogueError(f"experiment {name!r} needs a control_arm")
        rows.append(
            {
                "experiment": name,
                "arm_column": spec.arm_column,
                "control_arm": str(spec.control_arm),
                "alpha": spec.alpha,
            }
        )
    return rows


def _parse_journey_segments(journeys: dict[str, JourneyEntry], segments: list[dict]) -> list[dict]:
    """Which segments follow each journey (SPEC §4.1). A journey without `segments` is followed
    by every segment, the catalogue's default `*` (segments it does not list) included."""
    listed = [s["segment"] for s in segments if not s["is_default"]]
    rows = []
    for journey, spec in journeys.items():
        followers = spec.segments
        if followers is None:
            followers = [*listed, DEFAULT_SEGMENT]
        elif not followers:
            raise CatalogueError(f"journey {journey!r}: `segments` must be a non-empty list")
        else:
            unknown = [s for s in followers if s not in listed]
            if unknown:
                raise CatalogueError(
                    f"journey {journey!r} lists segments the catalogue does not have: {unknown} "
                    f"(segments: {', '.join(listed)})"
                )
        rows.extend({"journey": journey, "segment": s} for s in dict.fromkeys(followers))
    return rows


def _parse_segment_groups(groups: dict[str, list[str]], segments: list[dict]) -> list[dict]:
    """Segment groups pool segments in the aggregate marts; only segments that share a clock
    (start and value milestone), so a group never mixes unlike durations (SPEC §4.1)."""
    by_name = {s["segment"]: s for s in segments if not s["is_default"]}
    rows = []
    for group, members in groups.items():
        if group in by_name:
            raise CatalogueError(f"segment group {group!r} has the name of a segment")
        if not members:
            raise CatalogueError(f"segment group {group!r} needs a non-empty list of segments")
        unknown = [m for m in members if m not in by_name]
        if unknown:
            raise CatalogueError(f"segment group {group!r} lists unknown segments: {unknown}")
        clocks = {(by_name[m]["start_milestone"], by_name[m]["value_milestone"]) for m in members}
        if len(clocks) > 1:
            described = ", ".join(
                f"{m} {by_name[m]['start_milestone']} -> {by_name[m]['value_milestone']}"
                for m in members
            )
            raise CatalogueError(
                f"segment group {group!r} pools segments with different clocks ({described}): "
                "a group's segments must share their start and value milestones"
            )
        rows.extend({"segment_group": group, "segment": m} for m in dict.fromkeys(members))
    return rows


def write_catalogue(con, catalogue: Catalogue, schema: str = "config") -> None:
    """Replace the `config` tables in an open DuckDB connection with the catalogue's rows."""
    con.execute(f"create schema if not exists {schema}")
    for table, rows in catalogue.tables().items():
        columns = TABLE_COLUMNS[table]
        ddl = ", ".join(f"{c} {t}" for c, t in columns.items())
        con.execute(f"create or replace table {schema}.{table} ({ddl})")
        con.execute(f"comment on table {schema}.{table} is {literal(TABLE_DESCRIPTIONS[table])}")
        for column in columns:
            text = literal(COLUMN_DESCRIPTIONS[table][column])
            con.execute(f"comment on column {schema}.{table}.{column} is {text}")
        if rows:
            placeholders = ", ".join("?" for _ in columns)
            con.executemany(
                f"insert into {schema}.{table} values ({placeholders})",
                [[row[c] for c in columns] for row in rows],
            )


def did_you_mean(name: str, known) -> str:
    """`; did you mean `login`?` with the nearest known names (difflib), or nothing."""
    close = difflib.get_close_matches(str(name), sorted(set(known)), n=3, cutoff=0.6)
    return f"; did you mean {' or '.join(f'`{c}`' for c in close)}?" if close else ""


@dataclass(frozen=True)
class UnknownEvent:
    """An event the catalogue names that the loaded events never have."""

    table: str  # the config table that names it: milestone_events, or another with event_name
    name: str  # the milestone (or feature) that uses it
    event_name: str
    suggestion: str  # "; did you mean `login`?" or ""

    @property
    def is_error(self) -> bool:
        """A milestone's event that never occurs while a near name does is a misspelling: its
        milestone would be reached by no account without a word. One with no near name may just
        not have happened yet (a small or new landing zone), and a feature's may not have
        shipped: those are warnings (a milestone that stops being reached is still an ERROR, the
        `milestones_reached` check)."""
        return self.table == "milestone_events" and bool(self.suggestion)

    @property
    def message(self) -> str:
        what = "milestone" if self.table == "milestone_events" else self.table.removesuffix("s")
        return (
            f"{what} {self.name!r}: event {self.event_name!r} never occurs in the loaded "
            f"events{self.suggestion}"
        )


def events_not_in_data(
    con, schema: str = "config", events: str = "raw.events"
) -> list[UnknownEvent]:
    """Events named by the catalogue's tables (every `schema` table with an `event_name`
    column, its first column naming the milestone or feature) that no loaded event has.
    Nothing when no event is loaded at all (a CRM-only warehouse)."""
    import duckdb

    tables = [
        r[0]
        for r in con.execute(
            "select table_name from duckdb_columns() where schema_name = ? and database_name = "
            "current_database() and column_name = 'event_name' order by table_name",
            [schema],
        ).fetchall()
    ]
    try:
        loaded = {
            r[0]
            for r in con.execute(
                f"select distinct event_name from {events} where event_name is not null"
            ).fetchall()
        }
    except duckdb.CatalogException:
        return []
    if not loaded:
        return []
    unknown = []
    for table in tables:
        first = con.execute(
            "select column_name from duckdb_columns() where schema_name = ? "
            "and database_name = current_database() and table_name = ? "
            "order by column_index limit 1",
            [schema, table],
        ).fetchone()[0]
        for name, event in con.execute(
            f'select distinct "{first}", event_name from {schema}."{table}" order by all'
        ).fetchall():
            if event not in loaded:
                unknown.append(UnknownEvent(table, name, event, did_you_mean(event, loaded)))
    return unknown


def unknown_events_in(catalogue: Catalogue, working: Path) -> list[UnknownEvent]:
    """The catalogue's events that the working file's loaded events never have."""
    import duckdb

    with duckdb.connect(":memory:") as con:
        write_catalogue(con, catalogue)
        con.execute(f"attach {literal(working)} as work (read_only)")
        return events_not_in_data(con, events="work.raw.events")


def main(argv: list[str]) -> int:
    from dagster_project import paths

    path = Path(argv[0]) if argv else paths.catalogue_file()
    try:
        catalogue = load_catalogue(path)
    except CatalogueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    # against the data: the events loaded in the working file of the last run, when there is one
    working = paths.working_warehouse_path()
    if working.is_file():
        import duckdb

        try:
            unknown = unknown_events_in(catalogue, working)
        except duckdb.Error as exc:  # a run holds the file: the data check waits for it
            print(f"note: events not checked against {working}: {exc}", file=sys.stderr)
            unknown = []
        for item in unknown:
            print(
                f"{'error' if item.is_error else 'warning'}: {path}: {item.message}",
                file=sys.stderr,
            )
        if any(item.is_error for item in unknown):
            return 1
    for table, rows in catalogue.tables().items():
        print(f"config.{table}: {len(rows)} rows")
        for row in rows:
            print("  " + ", ".join(f"{k}={v}" for k, v in row.items() if v is not None))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
