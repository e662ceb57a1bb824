"""The source registry (config/sources.yml): which exports land where, and how their fields map
onto the canonical tables (SPEC §7). Adding a source of a known format is configuration only.

Run `python -m dagster_project.lib.sources [FILE]` to validate a registry and list its sources.
"""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass, field
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml

from dagster_project.lib import schema

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
UNMAPPED = ("quarantine", "keep")


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


def _names(value, where: str) -> tuple[str, ...]:
    if isinstance(value, str) and value:
        return (value,)
    if isinstance(value, list) and value and all(isinstance(v, str) and v for v in value):
        return tuple(value)
    raise RegistryError(f"{where}: expected a field name or a list of names, got {value!r}")


def _field_spec(value, where: str) -> FieldSpec:
    if isinstance(value, (str, list)):
        return FieldSpec(names=_names(value, where))
    if not isinstance(value, dict):
        raise RegistryError(f"{where}: expected a field name, a list or a mapping")
    unknown = set(value) - {"field", "hash", "value", "map", "first", "epoch", "unmapped"}
    if unknown:
        raise RegistryError(f"{where}: unknown option(s) {', '.join(sorted(unknown))}")
    kinds = [k for k in ("field", "hash", "value") if k in value]
    if len(kinds) != 1:
        raise RegistryError(f"{where}: give exactly one of field, hash or value")
    mapping = value.get("map")
    if mapping is not None and not isinstance(mapping, dict):
        raise RegistryError(f"{where}: map must be a mapping of export value to canonical value")
    unmapped = value.get("unmapped", "quarantine")
    if unmapped not in UNMAPPED or (unmapped != "quarantine" and mapping is None):
        raise RegistryError(f"{where}: unmapped must be quarantine or keep, with a map")
    keys: dict[str, tuple[str, str]] = {}
    for key, canonical in (mapping or {}).items():
        seen = keys.setdefault(label_key(key), (str(key), str(canonical)))
        if seen[1] != str(canonical):  # matched case- and label-blind: they would collide
            raise RegistryError(f"{where}: map values {seen[0]!r} and {key!r} match the same "
                                f"exports but map to {seen[1]!r} and {canonical!r}")
    epoch = value.get("epoch")
    if epoch not in (None, "seconds", "milliseconds"):
        raise RegistryError(f"{where}: epoch must be seconds or milliseconds")
    return FieldSpec(
        names=_names(value["field"], where) if "field" in value else (),
        hash_of=_names(value["hash"], where) if "hash" in value else (),
        value=str(value["value"]) if "value" in value else None,
        mapping={k: v for k, (_, v) in keys.items()} if mapping else None,
        unmapped=unmapped,
        first=bool(value.get("first", False)),
        epoch=epoch,
    )


def parse_registry(doc: dict, table_columns: dict[str, tuple[str, ...]]) -> list[Source]:
    """Validate a registry document against the canonical tables (name -> columns)."""
    entries = (doc or {}).get("sources")
    if not isinstance(entries, dict) or not entries:
        raise RegistryError("`sources` must map source names to their declarations")
    result = []
    for name, spec in entries.items():
        where = f"source {name!r}"
        if not isinstance(spec, dict):
            raise RegistryError(f"{where}: expected a mapping")
        unknown = set(spec) - {"table", "files", "format", "timezone", "where", "fields",
                               "encoding", "max_line_size"}
        if unknown:
            raise RegistryError(f"{where}: unknown key(s) {', '.join(sorted(unknown))}")
        table = spec.get("table")
        if table not in table_columns:
            raise RegistryError(f"{where}: table {table!r} is not one of {', '.join(table_columns)}")
        patterns = _names(spec.get("files"), f"{where} files")
        fmt = spec.get("format")
        if fmt is not None and fmt not in FORMATS:
            raise RegistryError(f"{where}: format must be one of {', '.join(FORMATS)}")
        tz = spec.get("timezone", "UTC")
        try:
            ZoneInfo(tz)
        except (ZoneInfoNotFoundError, ValueError, TypeError):
            raise RegistryError(f"{where}: unknown time zone {tz!r}") from None
        encoding = str(spec.get("encoding", "utf-8")).lower().replace("_", "-")
        encoding = {"utf8": "utf-8", "latin1": "latin-1", "iso-8859-1": "latin-1",
                    "windows-1252": "cp1252"}.get(encoding, encoding)
        if encoding not in ENCODINGS:
            raise RegistryError(f"{where}: encoding {spec['encoding']!r} is not one of "
                                f"{', '.join(ENCODINGS)}")
        max_line = spec.get("max_line_size", MAX_LINE_SIZE)
        if not isinstance(max_line, int) or isinstance(max_line, bool) or max_line < 1024:
            raise RegistryError(f"{where}: max_line_size must be a whole number of bytes >= 1024")
        declared = spec.get("fields") or {}
        if not isinstance(declared, dict):
            raise RegistryError(f"{where}: fields must map canonical columns to export fields")
        extra = set(declared) - set(table_columns[table])
        if extra:
            raise RegistryError(
                f"{where}: {', '.join(sorted(extra))} not column(s) of {table} "
                f"({', '.join(table_columns[table])})"
            )
        fields = {
            column: _field_spec(declared[column], f"{where} field {column}")
            if column in declared else FieldSpec(names=(column,))
            for column in table_columns[table]
        }
        where_field, where_values, excludes = None, (), False
        if spec.get("where") is not None:
            clause = spec["where"]
            if (not isinstance(clause, dict) or set(clause) not in ({"field", "values"},
                                                                   {"field", "not"})):
                raise RegistryError(f"{where}: where needs `field` and either `values` (the "
                                    "rows kept) or `not` (the rows left out)")
            excludes = "not" in clause
            listed = clause["not" if excludes else "values"]
            if not isinstance(listed, list) or not listed:
                raise RegistryError(f"{where}: where's values must be a list")
            where_field = FieldSpec(names=_names(clause["field"], f"{where} where"))
            where_values = tuple(dict.fromkeys(label_key(v) for v in listed))
        result.append(Source(name, table, patterns, fields, fmt, tz, where_field, where_values,
                             frozenset(declared), encoding, max_line, excludes))
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
