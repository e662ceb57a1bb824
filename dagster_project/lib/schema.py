"""The canonical tables (SPEC §3), read from their one declaration, config/schema.yml: columns and
types, key, required columns. The loader, the source registry, the catalogue's `crm_field` rules,
the raw-table checks and the sample generator all ask this module.

Run `python -m dagster_project.lib.schema [FILE]` to validate a declaration and print its tables.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

TEXT, TIMESTAMP, DATE, DECIMAL, BOOLEAN, JSON = (
    "text",
    "timestamp",
    "date",
    "decimal",
    "boolean",
    "json",
)
ColumnType = Literal["text", "timestamp", "date", "decimal", "boolean", "json"]


class SchemaError(ValueError):
    """The canonical schema file declares something the loader cannot build."""


@dataclass(frozen=True)
class CanonicalTable:
    """One canonical table: its columns (name -> type), required columns and key."""

    name: str
    group: str
    columns: dict[str, str]
    required: tuple[str, ...]
    key: str
    needs_known_account: bool = True
    description: str = ""
    column_descriptions: tuple[tuple[str, str], ...] = ()

    @property
    def is_events(self) -> bool:
        return self.name == "events"

    def columns_of_type(self, kind: str) -> tuple[str, ...]:
        return tuple(c for c, k in self.columns.items() if k == kind)


# ---- the file's typed model -------------------------------------------------------------------


class _Column(BaseModel):
    model_config = ConfigDict(extra="forbid")
    type: ColumnType
    description: str = Field(min_length=1)


class _Table(BaseModel):
    model_config = ConfigDict(extra="forbid")
    group: Literal["crm", "product"]
    key: str
    required: list[str] = Field(min_length=1)
    needs_known_account: bool = True
    description: str = Field(min_length=1)
    columns: dict[str, _Column] = Field(min_length=1)


class SchemaFile(BaseModel):
    """config/schema.yml."""

    model_config = ConfigDict(extra="forbid")
    tables: dict[str, _Table]


REQUIRED_TABLES = ("accounts", "contracts", "onboarding", "events")


def parse_schema(doc) -> tuple[CanonicalTable, ...]:
    """Validate a schema document; the tables in load order (accounts first)."""
    from dagster_project.lib.config_models import friendly_errors

    try:
        model = SchemaFile.model_validate(doc or {})
    except ValidationError as exc:
        raise SchemaError(friendly_errors(exc)) from None
    names = list(model.tables)
    if sorted(names) != sorted(REQUIRED_TABLES):
        raise SchemaError(
            f"`tables` must declare {', '.join(REQUIRED_TABLES)}; it has "
            f"{', '.join(names) or 'none'}"
        )
    if names[0] != "accounts":
        raise SchemaError("`tables`: accounts must come first (the others name known accounts)")
    tables = []
    for name, spec in model.tables.items():
        unknown = [c for c in [spec.key, *spec.required] if c not in spec.columns]
        if unknown:
            raise SchemaError(
                f"tables.{name}: key or required column(s) {', '.join(unknown)} "
                "not among its columns"
            )
        if "account_id" not in spec.columns:
            raise SchemaError(f"tables.{name}: every canonical table needs an account_id column")
        tables.append(
            CanonicalTable(
                name=name,
                group=spec.group,
                columns={c: v.type for c, v in spec.columns.items()},
                required=tuple(spec.required),
                key=spec.key,
                needs_known_account=spec.needs_known_account,
                description=spec.description,
                column_descriptions=tuple((c, v.description) for c, v in spec.columns.items()),
            )
        )
    return tuple(tables)


_CACHE: dict[tuple[str, int], tuple[CanonicalTable, ...]] = {}


def load_schema(path: Path | None = None) -> tuple[CanonicalTable, ...]:
    """The canonical tables of a schema file (default: paths.schema_file(), `TTV_SCHEMA`), in
    load order; SchemaError names the file and the problem."""
    from dagster_project import paths

    path = Path(path) if path else paths.schema_file()
    try:
        key = (str(path.resolve()), path.stat().st_mtime_ns)
    except FileNotFoundError:
        raise SchemaError(f"{path}: canonical schema file not found") from None
    if key not in _CACHE:
        try:
            doc = yaml.safe_load(path.read_text())
        except yaml.YAMLError as exc:
            raise SchemaError(f"{path}: not valid YAML: {exc}") from None
        try:
            _CACHE[key] = parse_schema(doc)
        except SchemaError as exc:
            raise SchemaError(f"{path}: {exc}") from None
    return _CACHE[key]


def tables(path: Path | None = None) -> tuple[CanonicalTable, ...]:
    return load_schema(path)


def table(name: str, path: Path | None = None) -> CanonicalTable:
    return {t.name: t for t in load_schema(path)}[name]


def table_columns(path: Path | None = None) -> dict[str, tuple[str, ...]]:
    """Canonical table name -> its columns, in order (what a registry entry may map)."""
    return {t.name: tuple(t.columns) for t in load_schema(path)}


def milestone_date_columns(path: Path | None = None) -> tuple[str, ...]:
    """The onboarding timestamps: the CRM milestone dates a catalogue `crm_field` may name."""
    return table("onboarding", path).columns_of_type(TIMESTAMP)


def declared_expectations(items: list, table_name: str | None) -> list:
    """A raw table's suite (expectations/raw_*.json, `meta.canonical_table`) with what it takes
    from the declaration filled in, so no suite lists the canonical columns again:

    - `expect_table_columns_to_match_set` without a `column_set`: the declared columns;
    - an expectation with `each_column_of_type: <type>` instead of a `column`: one copy per
      declared column of that type, except the columns the suite gives the same expectation
      type itself (with their own bounds or severity).

    Anything else, and a suite without `canonical_table`, is returned as it is."""
    if not table_name:
        return items
    declared = table(table_name)
    explicit = {
        (item.get("type"), (item.get("kwargs") or {}).get("column"))
        for item in items
        if isinstance(item, dict)
    }
    expanded = []
    for item in items:
        kwargs = dict(item.get("kwargs") or {}) if isinstance(item, dict) else {}
        if item.get("type") == "expect_table_columns_to_match_set" and "column_set" not in kwargs:
            expanded.append({**item, "kwargs": {**kwargs, "column_set": list(declared.columns)}})
        elif "each_column_of_type" in kwargs:
            kind = kwargs.pop("each_column_of_type")
            expanded.extend(
                {**item, "kwargs": {"column": column, **kwargs}}
                for column in declared.columns_of_type(kind)
                if (item.get("type"), column) not in explicit
            )
        else:
            expanded.append(item)
    return expanded


def main(argv: list[str]) -> int:
    try:
        declared = load_schema(Path(argv[0]) if argv else None)
    except SchemaError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    for t in declared:
        print(
            f"raw.{t.name} ({t.group}, key {t.key}, required {', '.join(t.required)}): "
            + ", ".join(f"{c} {k}" for c, k in t.columns.items())
        )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
