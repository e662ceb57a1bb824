"""The source registry (config/sources.yml): which exports land where, and how their fields map
onto the canonical tables (SPEC §7). Adding a source of a known format is configuration only.

Run `python -m dagster_project.lib.sources [FILE]` to validate a registry and list its sources.
"""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml
from pydantic import BaseModel, ConfigDict, Field, StrictInt, StringConstraints, ValidationError

from dagster_project.lib import schema
from dagster_project.lib.config_models import friendly_errors

FORMATS = ("csv", "jsonl", "parquet", "zip")
# Text encodings a source may declare: UTF-8 (the default), and what spreadsheet programs and
# older CRM exports write (ISO-8859-1, Windows-1252). Others are refused rather than guessed.
ENCODINGS = ("utf-8", "latin-1", "cp1252")
# The longest line a text export may have (bytes): DuckDB's own default, 2 MB. A source whose
# records are legitimately longer (large JSON properties) raises it with `max_line_size`.
MAX_LINE_SIZE = 2_097_152
# Characters a value match ignores besides case: vendors export a dropdown's label ("New
# Business", "Self-serve") or its internal name ("newbusiness", "self_serve"), HubSpot both.
LABEL_IGNORED = " \t\r\n_-"


def label_key(text: str) -> str:
    """What a `map` or `where` compares: lower case, without spaces, hyphens and underscores
    (`Direct` = `direct`, `Closed Won` = `closedwon`); landing.py does the same in SQL."""
    return re.sub(f"[{re.escape(LABEL_IGNORED)}]+", "", str(text).strip().lower())


class RegistryError(ValueError):
    """The registry file declares something the loader cannot do."""


@dataclass(frozen=True)
class FieldSpec:
    """Where one canonical column's value is in an export."""

    names: tuple[str, ...] = ()  # alternatives: the first present and not empty wins
    hash_of: tuple[str, ...] = ()  # an id made of several fields
    value: str | None = None  # a constant
    mapping: dict[str, str] | None = None  # label_key(export value) -> canonical value
    unmapped: str = "quarantine"  # a value the map lacks: quarantine the row, or keep it as is
    first: bool = False  # first item of a list (JSON array or ';'-separated text)
    epoch: str | None = None  # seconds | milliseconds

    @property
    def referenced(self) -> tuple[str, ...]:
        return self.names + self.hash_of


@dataclass(frozen=True)
class Source:
    name: str
    table: str
    patterns: tuple[str, ...]
    fields: dict[str, FieldSpec]
    format: str | None = None
    timezone: str = "UTC"
    where_field: FieldSpec | None = None
    where_values: tuple[str, ...] = ()
    explicit: frozenset = field(default_factory=frozenset)  # columns the entry names itself
    encoding: str = "utf-8"  # of text files (csv, jsonl); see ENCODINGS
    max_line_size: int = MAX_LINE_SIZE  # bytes; a longer line is quarantined or rejects the file
    where_excludes: bool = False  # `not:` the values leave rows out (a row without the field stays)


# ---- the file's typed model (config/sources.schema.json is generated from it) -------------

Name = Annotated[str, StringConstraints(min_length=1)]
# a field name, or a list of alternatives (the first present and not empty wins)
Names = Name | Annotated[list[Name], Field(min_length=1)]


class FieldOptions(BaseModel):
    """A canonical column's value: `field`, `hash` or `value`, with options."""

    model_config = ConfigDict(extra="forbid")
    field: Names | None = None
    hash: Names | None = None
    value: str | int | float | bool | None = None
    map: dict[str, str | int | float | bool] | None = None
    unmapped: Literal["quarantine", "keep"] = "quarantine"
    first: bool = False
    epoch: Literal["seconds", "milliseconds"] | None = None


class WhereClause(BaseModel):
    """Keep the rows whose field has one of `values`, or leave out those with one of `not`."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)
    field: Names
    values: Annotated[list[str | int | float | bool], Field(min_length=1)] | None = None
    not_: Annotated[list[str | int | float | bool], Field(min_length=1)] | None = Field(
        default=None, alias="not"
    )


class SourceEntry(BaseModel):
    """One source: the canonical table it fills, its files and how its fields map."""

    model_config = ConfigDict(extra="forbid")
    table: str
    files: Names
    format: Literal[FORMATS] | None = None  # type: ignore[valid-type]
    timezone: str = "UTC"
    encoding: str = "utf-8"
    max_line_size: StrictInt = MAX_LINE_SIZE
    where: WhereClause | None = None
    fields: dict[str, Names | FieldOptions] | None = None


class RegistryFile(BaseModel):
    """config/sources.yml."""

    model_config = ConfigDict(extra="forbid")
    sources: Annotated[dict[str, SourceEntry], Field(min_length=1)]


def _where(loc: tuple) -> str:
    """A place in the registry as its messages name it: `source 'x' field arr map`."""
    if len(loc) < 2 or loc[0] != "sources":
        return ""
    rest = [str(p) for p in loc[2:]]
    if rest[:1] == ["fields"] and len(rest) > 1:
        rest = [f"field {rest[1]}", *rest[2:]]
    return " ".join([f"source {loc[1]!r}", *rest])


def _names(value) -> tuple[str, ...]:
    return (value,) if isinstance(value, str) else tuple(value)


def _field_spec(value, where: str) -> FieldSpec:
    if not isinstance(value, FieldOptions):  # a name or a list of names
        return FieldSpec(names=_names(value))
    given = value.model_fields_set
    kinds = [k for k in ("field", "hash", "value") if k in given]
    if len(kinds) != 1:
        raise RegistryError(f"{where}: give exactly one of field, hash or value")
    if "unmapped" in given and value.unmapped != "quarantine" and value.map is None:
        raise RegistryError(f"{where}: unmapped must be quarantine or keep, with a map")
    keys: dict[str, tuple[str, str]] = {}
    for key, canonical in (value.map or {}).items():
        seen = keys.setdefault(label_key(key), (str(key), str(canonical)))
        if seen[1] != str(canonical):  # matched case- and label-blind: they would collide
            raise RegistryError(
                f"{where}: map values {seen[0]!r} and {key!r} match the same "
                f"exports but map to {seen[1]!r} and {canonical!r}"
            )
    return FieldSpec(
        names=_names(value.field) if value.field is not None else (),
        hash_of=_names(value.hash) if value.hash is not None else (),
        value=str(value.value) if "value" in given else None,
        mapping={k: v for k, (_, v) in keys.items()} if value.map else None,
        unmapped=value.unmapped,
        first=value.first,
        epoch=value.epoch,
    )


def parse_registry(doc: dict, table_columns: dict[str, tuple[str, ...]]) -> list[Source]:
    """Validate a registry document against the canonical tables (name -> columns)."""
    try:
        registry = RegistryFile.model_validate(doc or {})
    except ValidationError as exc:
        raise RegistryError(friendly_errors(exc, _where)) from None
    result = []
    for name, spec in registry.sources.items():
        where = f"source {name!r}"
        if spec.table not in table_columns:
            raise RegistryError(
                f"{where}: table {spec.table!r} is not one of {', '.join(table_columns)}"
            )
        try:
            ZoneInfo(spec.timezone)
        except (ZoneInfoNotFoundError, ValueError):
            raise RegistryError(f"{where}: unknown time zone {spec.timezone!r}") from None
        encoding = spec.encoding.lower().replace("_", "-")
        encoding = {
            "utf8": "utf-8",
            "latin1": "latin-1",
            "iso-8859-1": "latin-1",
            "windows-1252": "cp1252",
        }.get(encoding, encoding)
        if encoding not in ENCODINGS:
            raise RegistryError(
                f"{where}: encoding {spec.encoding!r} is not one of {', '.join(ENCODINGS)}"
            )
        if spec.max_line_size < 1024:
            raise RegistryError(f"{where}: max_line_size must be a whole number of bytes >= 1024")
        declared = spec.fields or {}
        columns = table_columns[spec.table]
        extra = set(declared) - set(columns)
        if extra:
            raise RegistryError(
                f"{where}: {', '.join(sorted(extra))} not column(s) of "
                f"{spec.table} ({', '.join(columns)})"
            )
        fields = {
            column: _field_spec(declared[column], f"{where} field {column}")
            if column in declared
            else FieldSpec(names=(column,))
            for column in columns
        }
        where_field, where_values, excludes = None, (), False
        if spec.where is not None:
            clause = spec.where
            if (clause.values is None) == (clause.not_ is None):
                raise RegistryError(
                    f"{where}: where needs `field` and either `values` (the "
                    "rows kept) or `not` (the rows left out)"
                )
            excludes = clause.not_ is not None
            where_field = FieldSpec(names=_names(clause.field))
            where_values = tuple(
                dict.fromkeys(label_key(v) for v in (clause.not_ if excludes else clause.values))
            )
        result.append(
            Source(
                name,
                spec.table,
                _names(spec.files),
                fields,
                spec.format,
                spec.timezone,
                where_field,
                where_values,
                frozenset(declared),
                encoding,
                spec.max_line_size,
                excludes,
            )
        )
    return result


def load_registry(path: Path) -> list[Source]:
    """Read and validate a registry file; RegistryError names the file and the problem."""
    try:
        doc = yaml.safe_load(Path(path).read_text())
    except FileNotFoundError:
        raise RegistryError(f"{path}: source registry not found") from None
    except yaml.YAMLError as exc:
        raise RegistryError(f"{path}: not valid YAML: {exc}") from None
    try:
        return parse_registry(doc, schema.table_columns())
    except RegistryError as exc:
        raise RegistryError(f"{path}: {exc}") from None


def main(argv: list[str]) -> int:
    from dagster_project import paths

    path = Path(argv[0]) if argv else paths.sources_file()
    try:
        registry = load_registry(path)
    except RegistryError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    for source in registry:
        print(f"{source.name}: {source.table} <- {', '.join(source.patterns)}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
