"""The canonical tables (SPEC §3) and the loader that fills them from the sources of the registry
(config/sources.yml, SPEC §7), incrementally.

Every file is read with DuckDB's own readers (CSV, JSON lines plain or gzipped, a zip of gzipped
JSON lines, Parquet), each mapped field taken as text, then cast in SQL. Rows that cannot be
loaded go to `quarantine.rejected_rows` with the file, line, column and reason (SPEC §5).

Loads are incremental: `raw.landed_files` remembers every file (size, checksum, rows). A file
seen before is skipped; a file whose content changed replaces its earlier rows; a file whose
content was already loaded under another name is counted as duplicates and not read. Events are
deduplicated on `event_id` across files and sources, the first delivery kept (later copies wait
in `raw.events_duplicates`, promoted if the first one's file is replaced). CRM tables are small
snapshots: when one of their files changes they are merged again from all their files, a key's
rows coming from the latest file (by name) that has it; their per-file counts are recounted
only then, so they are a function of the landed files whatever the order of the runs.

A file the reader cannot read at all (corrupt, truncated, empty, not in its source's encoding,
not splittable into records) is rejected as a whole: `raw.landed_files` records it with status
`rejected`, the reason and the line where the reader knows it, and every other file loads. It is
tried again on every run, so a corrected file or a registry fix (`encoding`) loads it.
"""

from __future__ import annotations

import codecs
import dataclasses
import datetime as dt
import gzip
import hashlib
import re
import shutil
import tempfile
import zipfile
import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import duckdb

from dagster_project.lib import schema
from dagster_project.lib.schema import BOOLEAN, DATE, DECIMAL, JSON, TEXT, TIMESTAMP, CanonicalTable
from dagster_project.lib.sources import LABEL_IGNORED, FieldSpec, Source
from dagster_project.lib.sql import ident as _ident
from dagster_project.lib.sql import literal as _q

CAST_SQL = {
    TEXT: "{v}",
    # With the session TimeZone set to the source's zone, an ISO-8601 value with an offset keeps
    # its offset, one without is in the source's zone (UTC unless declared), a date-only value is
    # midnight; stored as a plain UTC timestamp (SPEC §3).
    TIMESTAMP: "timezone('UTC', try_cast({v} as timestamptz))",
    DATE: "coalesce(try_cast({v} as date), cast(try_cast({v} as timestamp) as date))",
    DECIMAL: "try_cast({v} as decimal(18, 2))",
    BOOLEAN: "try_cast({v} as boolean)",
    JSON: "case when json_valid({v}) then {v} end",
}
SQL_TYPE = {
    TEXT: "varchar",
    TIMESTAMP: "timestamp",
    DATE: "date",
    DECIMAL: "decimal(18, 2)",
    BOOLEAN: "boolean",
    JSON: "varchar",
}
CAST_REASON = {
    TIMESTAMP: "unparseable timestamp",
    DATE: "unparseable date",
    DECIMAL: "not a decimal number",
    BOOLEAN: "not true/false",
    JSON: "not a JSON object",
}


# The canonical tables, declared once in config/schema.yml (lib/schema.py). These names are
# the declaration when the package was imported (the Dagster assets are made per table); the
# loader reads the current declaration by name when it runs, so `TTV_SCHEMA` may change it.
LandingTable = CanonicalTable
TABLES = schema.tables()  # load order: accounts first
ACCOUNTS, CONTRACTS, ONBOARDING, EVENTS = (
    schema.table(n) for n in ("accounts", "contracts", "onboarding", "events")
)
META_COLUMNS = {"_source": "varchar", "_file": "varchar", "_line": "bigint", "_extra": "varchar"}
META_DESCRIPTIONS = {
    "_source": "The registry source (config/sources.yml) the row was loaded from.",
    "_file": "The landed file the row came from, relative to the landing zone.",
    "_line": "The row's physical line in that file (1 is the header of a CSV), or its record number.",
    "_extra": "Fields of the export that the source's mapping does not use, as a JSON object "
    "(kept, not lost).",
}
UNKNOWN_ACCOUNT = "unknown account_id: "


class SchemaMismatch(ValueError):
    """A landed file lacks fields its source maps: that source stops (SPEC §5)."""


class UnreadableFile(ValueError):
    """A landed file the reader cannot read as a whole: it is rejected, the others load."""

    def __init__(self, reason: str, line: int | None = None):
        super().__init__(reason)
        self.reason, self.line = reason, line


# What a reader raises on a file it cannot read: DuckDB's errors (corrupt Parquet, truncated
# gzip, invalid UTF-8, a line over the maximum), a bad zip, a file that does not decode.
_UNREADABLE = (
    duckdb.Error,
    zipfile.BadZipFile,
    EOFError,
    OSError,
    UnicodeDecodeError,
    gzip.BadGzipFile,
)


@dataclass(frozen=True)
class LoadResult:
    """What one canonical table's load did, for Dagster metadata and the run's output."""

    table: str
    files: int
    files_read: int
    rows_landed: int
    rows_loaded: int
    rows_duplicate: int
    rows_filtered: int
    rows_quarantined: int
    reasons: dict[str, int]
    rejected: list[tuple[str, str]] = dataclasses.field(default_factory=list)  # (file, reason)
    unclaimed: list[str] = dataclasses.field(default_factory=list)  # files no source reads


def _label_key(sql: str) -> str:
    """sources.label_key in SQL: a value compared case- and label-blind (`Closed Won` = `closedwon`)."""
    ignored = LABEL_IGNORED.replace("\t", "\\t").replace("\r", "\\r").replace("\n", "\\n")
    return f"regexp_replace(lower(trim({sql})), '[{ignored}]+', '', 'g')"


def _json_path(name: str) -> str:
    return "$" + "".join("." + '"' + part.replace('"', '\\"') + '"' for part in name.split("."))


def file_format(source: Source, path: Path) -> str:
    if source.format:
        return source.format
    name = path.name.lower()
    # compressed variants are read by DuckDB itself (from the .gz); `.json` is JSON lines, as
    # Mixpanel's export API and most event pipelines write it despite the name
    for suffix, fmt in (
        (".csv", "csv"),
        (".csv.gz", "csv"),
        (".jsonl", "jsonl"),
        (".jsonl.gz", "jsonl"),
        (".json", "jsonl"),
        (".json.gz", "jsonl"),
        (".ndjson", "jsonl"),
        (".ndjson.gz", "jsonl"),
        (".parquet", "parquet"),
        (".zip", "zip"),
    ):
        if name.endswith(suffix):
            return fmt
    raise SchemaMismatch(f"{path.name}: cannot tell the format from the name; set `format`")


# ---- reading one file: a relation with _line, _raw and a text accessor per field ------------


@dataclass
class _Reader:
    """One file as SQL: `relation` has `_line` and `_raw`; `access(name)` is the field's text
    (None when the file has no such field); `unused_sql(used)` the unused fields as JSON."""

    relation: str
    fmt: str
    columns: dict[str, str]  # lower-case name -> actual name (csv, parquet)
    types: dict[str, str]
    present_json: set[str]
    raw: str  # the record as text, for the quarantine: computed only for rejected rows
    rejected: str | None = None  # temp table of the rows the reader itself rejected
    file_sql: str | None = None  # the `_file` of each row, when the relation reads many files

    def has(self, name: str) -> bool:
        """Whether the file has the field: JSON records may omit any field, so always."""
        if self.fmt == "jsonl":
            return True
        return name.lower() in self.columns or name.split(".")[0].lower() in self.columns

    def declares(self, name: str) -> bool:
        """Whether the file's first record (JSON) or header has the field."""
        if self.fmt == "jsonl":
            return name.split(".")[0] in self.present_json
        return self.has(name)

    def access(self, name: str, as_json: bool = False) -> str | None:
        if self.fmt == "jsonl":
            fn = "json_extract" if as_json else "json_extract_string"
            return f"(case when _raw_ok then {fn}(_raw, {_q(_json_path(name))})::varchar end)"
        if name.lower() in self.columns:
            col = self.columns[name.lower()]
            kind = self.types.get(col, "VARCHAR").upper()
            if self.fmt == "csv" or kind == "VARCHAR":
                return _ident(col)
            if kind.startswith("TIMESTAMP"):
                return f"strftime({_ident(col)}, '%Y-%m-%dT%H:%M:%S.%f')"
            if kind.startswith(("STRUCT", "MAP")) or kind.endswith("[]"):
                return f"to_json({_ident(col)})::varchar"
            return f"cast({_ident(col)} as varchar)"
        head, _, rest = name.partition(".")
        if rest and head.lower() in self.columns:
            col = self.columns[head.lower()]
            kind = self.types.get(col, "VARCHAR").upper()
            base = _ident(col) if kind == "VARCHAR" else f"to_json({_ident(col)})"
            fn = "json_extract" if as_json else "json_extract_string"
            return f"{fn}({base}, {_q(_json_path(rest))})::varchar"
        return None

    def unused_sql(self, used: set[str]) -> str:
        used_lower = {u.lower() for u in used} | {u.split(".")[0].lower() for u in used}
        if self.fmt == "jsonl":
            patch: dict = {}
            for name in used:
                node = patch
                parts = name.split(".")
                for part in parts[:-1]:
                    node = node.setdefault(part, {})
                    if node is None:
                        break
                else:
                    node[parts[-1]] = None
            import json

            rest = f"json_merge_patch(_raw, {_q(json.dumps(patch))})::varchar"
            return f"case when _raw_ok then nullif({rest}, '{{}}') end"
        unused = [c for low, c in self.columns.items() if low not in used_lower]
        if not unused:
            return "null::varchar"
        pairs = ", ".join(f"{_q(c)}, {self.access(c) or 'null'}" for c in unused)
        return f"json_object({pairs})::varchar"


REJECTS, REJECTS_SCAN = "_rejects", "_rejects_scan"  # DuckDB's CSV rejects, per file read


def _text_options(source: Source) -> str:
    return (
        f"max_line_size = {int(source.max_line_size)}, store_rejects = true, "
        f"rejects_table = '{REJECTS}', rejects_scan = '{REJECTS_SCAN}'"
    )


def _rejected_lines(con) -> str | None:
    """The rows DuckDB's CSV reader could not split into the header's fields (ragged rows, lines
    over max_line_size), one per physical line, as a temp table `_rejected` (line, raw,
    reason); None when there are none. A file that is not valid UTF-8 is unreadable as a whole."""
    try:  # DuckDB creates the rejects tables on the first scan that has a rejected row
        found = con.execute(f"select count(*) from {REJECTS}").fetchone()[0]
    except duckdb.CatalogException:
        found = 0
    if not found:
        return None
    bad = con.execute(
        f"select min(line) from {REJECTS} where error_type = 'INVALID ENCODING'"
    ).fetchone()[0]
    if bad is not None:
        raise UnreadableFile(
            "not valid UTF-8 text; set the source's `encoding` (latin-1 or "
            "cp1252) in config/sources.yml",
            int(bad),
        )
    con.execute(f"""
        create or replace temp table _rejected as
        select line, any_value(csv_line) as raw,
               case when bool_or(error_type = 'LINE SIZE OVER MAXIMUM')
                    then 'line longer than max_line_size'
                    when bool_or(error_type in ('MISSING COLUMNS', 'TOO MANY COLUMNS'))
                    then 'ragged row: ' || min(try_cast(regexp_extract(
                             error_message, 'Found: (\\d+)', 1) as int))
                         || ' fields, the header has '
                         || min(regexp_extract(error_message, 'Columns: (\\d+)', 1))
                    else 'unreadable row: ' || min(error_type) end as reason,
               row_number() over (order by line) as rank
        from {REJECTS} group by line""")
    return "_rejected"


def _clear_rejects(con) -> None:
    con.execute(f"drop table if exists {REJECTS}")
    con.execute(f"drop table if exists {REJECTS_SCAN}")
    con.execute("drop table if exists _rejected")


def _physical_line(record: str, rejected: str | None, header: bool = True) -> str:
    """The physical line of the `record`-th row the reader returned (a header is line 1): rows
    the reader rejected are not returned, so each one before it moves it down a line. The i-th
    rejected line r has r - i - 1 (r - i without a header) returned rows before it."""
    first = 2 if header else 1
    if not rejected:
        return f"{first - 1} + {record}"
    return (
        f"{first - 1} + {record} + (select count(*) from {rejected} "
        f"where line - rank <= {record} + {first - 2})"
    )


def _open(con, path: Path, fmt: str, source: Source, rescan: bool = False) -> _Reader:
    """The file as a relation. `rescan`: read again, with the rejects the first full scan of
    the same file left (JSON lines are scanned once, so their rejects are known only after)."""
    fp = _q(str(path))
    if not rescan:
        _clear_rejects(con)
    if fmt == "csv":
        reader = (
            f"read_csv({fp}, all_varchar = true, header = true, auto_detect = true, "
            f"{_text_options(source)})"
        )
        present = [r[0] for r in con.execute(f"describe select * from {reader}").fetchall()]
        # a record's physical line: the header is line 1, and quoted values may span lines. The
        # running count of those newlines needs a sort, so it is paid only by files that have one.
        # The same scan fills DuckDB's rejects (ragged rows), which also move lines.
        spans = con.execute(f"select {_spans_sql(present)} from {reader}").fetchall()[0][0]
        rejected = _rejected_lines(con)
        if spans:
            line = (
                _physical_line("_record", rejected) + " + coalesce(sum(_newlines) over "
                "(order by _record rows between unbounded preceding and 1 preceding), 0)"
            )
            relation = f"""(
                select *, {line} as _line, true as _raw_ok
                from (select r.*, row_number() over () as _record,
                             {_newlines_sql(present)} as _newlines
                      from {reader} as r))"""
        else:
            relation = f"""(
                select *, {_physical_line("_record", rejected)} as _line, true as _raw_ok
                from (select r.*, row_number() over () as _record from {reader} as r))"""
        return _Reader(
            relation,
            fmt,
            {c.lower(): c for c in present},
            {},
            set(),
            _csv_raw_sql(present),
            rejected,
        )
    if fmt == "jsonl":
        # lines, not records: a malformed line is quarantined with its number, the file loads
        reader = (
            f"read_csv({fp}, columns = {{'_raw': 'VARCHAR'}}, header = false, "
            f"delim = chr(31), quote = '', escape = '', auto_detect = false, "
            f"{_text_options(source)})"
        )
        # the fields a record has, from the first one the source keeps: Segment's first line
        # may be an identify call, which has no `event`; a file of such calls alone checks none
        first = con.execute(
            f"select _raw from {reader} where json_valid(_raw) "
            f"and json_type(_raw) = 'OBJECT'{_kept_sql(source)} limit 1"
        ).fetchone()
        keys = (
            set(con.execute("select json_keys(?::json)", [first[0]]).fetchone()[0])
            if first
            else set()
        )
        # the rejects of a first scan, when this is a rescan (see _read_files)
        rejected = _rejected_lines(con) if rescan else None
        relation = f"""(
            select _raw, {_physical_line("_record", rejected, header=False)} as _line,
                   case when json_valid(_raw) then json_type(_raw) = 'OBJECT' else false end as _raw_ok
            from (select _raw, row_number() over () as _record from {reader}))"""
        return _Reader(relation, fmt, {}, {}, keys, "_raw", rejected)
    if fmt == "parquet":
        described = con.execute(f"describe select * from read_parquet({fp})").fetchall()
        return _parquet_reader(
            f"read_parquet({fp}, file_row_number = true)",
            {r[0]: r[1] for r in described if r[0] != "file_row_number"},
        )
    raise SchemaMismatch(f"{path.name}: unsupported format {fmt}")


def _spans_sql(present: list[str]) -> str:
    """Whether any value of a CSV scan holds a newline (a quoted value spanning lines)."""
    return "bool_or(" + " or ".join(f"contains({_ident(c)}, chr(10))" for c in present) + ")"


def _newlines_sql(present: list[str]) -> str:
    """The newlines inside a CSV record's values: the lines it spans beyond its first."""
    return " + ".join(
        f"coalesce(length({_ident(c)}) - length(replace({_ident(c)}, chr(10), '')), 0)"
        for c in present
    )


def _csv_raw_sql(present: list[str]) -> str:
    return "json_object(" + ", ".join(f"{_q(c)}, {_ident(c)}" for c in present) + ")::varchar"


def _parquet_reader(scan: str, types: dict[str, str], file_sql: str | None = None) -> _Reader:
    """A Parquet scan (with `file_row_number`) as a reader: `_line` is the row's number from 1."""
    relation = f"""(
            select r.*, file_row_number + 1 as _line, true as _raw_ok from {scan} as r)"""
    reader = _Reader(
        relation, "parquet", {c.lower(): c for c in types}, types, set(), "", None, file_sql
    )
    reader.raw = (
        "json_object("
        + ", ".join(f"{_q(c)}, {reader.access(c)}" for c in reader.columns.values())
        + ")::varchar"
    )
    return reader


def _kept_sql(source: Source) -> str:
    """` and <the record passes the source's where>` on a JSON line `_raw`, or nothing."""
    if not source.where_field:
        return ""
    value = (
        "coalesce("
        + ", ".join(
            f"nullif(trim(json_extract_string(_raw, {_q(_json_path(n))})), '')"
            for n in source.where_field.names
        )
        + ")"
    )
    return f" and not ({_filtered_sql(source, value)})"


def _filtered_sql(source: Source, value: str) -> str:
    """Whether a row is left out by its source's `where`, from the field's text `value`: with
    `values`, unless it has one of them (no value: left out); with `not`, when it has one."""
    listed = _label_key(value) + " in (" + ", ".join(_q(v) for v in source.where_values) + ")"
    if source.where_excludes:
        return f"coalesce({listed}, false)"
    return f"coalesce(not {listed}, true)"


# ---- many files in one pass: one scan per source, format and shape (issue 15) ---------------

BATCH_FILE = "_landed_path"  # the column the multi-file readers name each row's file in


def _batch_file_sql(members: list[tuple[Path, str]]) -> str:
    """Each row's file as the manifest names it: the path below the landing directory, cut
    from the reader's file column when every path ends with its name (a case per file else)."""
    common = str(members[0][0])[: len(str(members[0][0])) - len(members[0][1])]
    if all(str(p) == common + display for p, display in members):
        return f"substr({BATCH_FILE}, {len(common) + 1})"
    return (
        f"(case {BATCH_FILE} "
        + " ".join(f"when {_q(str(p))} then {_q(display)}" for p, display in members)
        + " end)"
    )


def _open_batch(
    con, source: Source, table: LandingTable, fmt: str, members: list[tuple[Path, str]]
) -> _Reader:
    """Many files of one source and format as one relation (DuckDB's multi-file readers: one
    parallel scan instead of a scan per file), `_line` counted within each file as `_open`
    counts it, `file_sql` naming each row's file. CSV and Parquet files come in batches of one
    header or schema (`_batch_key`), so a field is missing from all of them or from none, as
    each read alone. Raises SchemaMismatch when a JSON file's first kept record lacks a
    required field, like the file read alone would; the caller then reads them one by one."""
    _clear_rejects(con)
    listed = "[" + ", ".join(_q(str(p)) for p, _ in members) + "]"
    per_file = f"partition by {BATCH_FILE}"
    file_sql = _batch_file_sql(members)
    if fmt == "jsonl":
        reader = (
            f"read_csv({listed}, columns = {{'_raw': 'VARCHAR'}}, header = false, "
            f"delim = chr(31), quote = '', escape = '', auto_detect = false, "
            f"filename = {_q(BATCH_FILE)}, {_text_options(source)})"
        )
        # the fields of each file's first kept record (see _open), checked per file
        firsts = con.execute(f"""
            select json_keys(arg_min(_raw, _seq)::json) from (
                select _raw, {BATCH_FILE}, row_number() over () as _seq from {reader})
            where json_valid(_raw) and json_type(_raw) = 'OBJECT'{_kept_sql(source)}
            group by {BATCH_FILE}""").fetchall()
        for (keys,) in firsts:
            for column in table.required:
                names = source.fields[column].names
                if names and not any(n.split(".")[0] in set(keys) for n in names):
                    raise SchemaMismatch("a file lacks a required field")  # alone, it says which
        relation = f"""(
            select _raw, {BATCH_FILE}, _seq - min(_seq) over ({per_file}) + 1 as _line,
                   case when json_valid(_raw) then json_type(_raw) = 'OBJECT' else false end as _raw_ok
            from (select _raw, {BATCH_FILE}, row_number() over () as _seq from {reader}))"""
        return _Reader(relation, fmt, {}, {}, set(), "_raw", None, file_sql)
    if fmt == "csv":
        reader = (
            f"read_csv({listed}, all_varchar = true, header = true, auto_detect = true, "
            f"filename = {_q(BATCH_FILE)}, {_text_options(source)})"
        )
        present = [
            r[0]
            for r in con.execute(f"describe select * from {reader}").fetchall()
            if r[0] != BATCH_FILE
        ]
        spans = con.execute(f"select {_spans_sql(present)} from {reader}").fetchall()[0][0]
        line = f"_seq - min(_seq) over ({per_file}) + 2"  # the header is each file's line 1
        if spans:  # quoted newlines: the running count within each file, as _open counts it
            line += (
                f" + coalesce(sum(_newlines) over ({per_file} order by _seq rows between "
                "unbounded preceding and 1 preceding), 0)"
            )
        relation = f"""(
            select *, {line} as _line, true as _raw_ok
            from (select r.*, row_number() over () as _seq,
                         {_newlines_sql(present) if spans else "0"} as _newlines
                  from {reader} as r))"""
        return _Reader(
            relation,
            fmt,
            {c.lower(): c for c in present},
            {},
            set(),
            _csv_raw_sql(present),
            None,
            file_sql,
        )
    if fmt == "parquet":
        reader = f"read_parquet({listed}, file_row_number = true, filename = {_q(BATCH_FILE)})"
        types = {
            r[0]: r[1]
            for r in con.execute(f"describe select * from {reader}").fetchall()
            if r[0] not in ("file_row_number", BATCH_FILE)
        }
        return _parquet_reader(reader, types, file_sql)
    raise SchemaMismatch(f"unsupported format {fmt}")


def _files_with_rejects(con) -> set[str]:
    """The paths of the files in which the last multi-file read rejected a line."""
    try:
        return {
            r[0]
            for r in con.execute(f"""select distinct s.file_path from {REJECTS} r
            join {REJECTS_SCAN} s on r.scan_id = s.scan_id and r.file_id = s.file_id""").fetchall()
        }
    except duckdb.CatalogException:  # no rejected line: DuckDB made no rejects tables
        return set()


BATCH_RETRIES = 3  # corrupt files taken out of a pass before it gives up on the pass


def _read_batch(
    con, table: LandingTable, batch: list[tuple[_LandedFile, list[tuple[Path, str]]]]
) -> list[_LandedFile]:
    """Read files of one source, format and shape (`_batch_key`), each with its members (the
    file itself, or a zip's extracted members), in one pass into `_checked`. Returns the files
    left to read one by one, with nothing of them added: a file the reader's error names (a
    truncated `.gz`, a corrupt Parquet file), after which the pass runs again without it; every
    file when the error names none (or a JSON file lacks a required field: read alone, a file
    says which); and those in which the reader rejected a line (read alone, the rejects move
    the lines after them and the rows are quarantined with their reason)."""
    source = _member_source(batch[0][0].source)
    con.execute(f"set TimeZone = {_q(source.timezone)}")
    batch, left = list(batch), []
    for _ in range(BATCH_RETRIES + 1):
        members = [member for _, file_members in batch for member in file_members]
        try:  # one statement: when it fails, it has added nothing
            reader = _open_batch(con, source, table, file_format(source, members[0][0]), members)
            sql = _file_sql(
                con,
                source,
                table,
                members[0][0],
                members[0][1],
                members[0][1],
                table.needs_known_account,
                reader=reader,
            )
            con.execute(f"insert into _checked by name {sql}")
            alone = _files_with_rejects(con)
        except (SchemaMismatch, *_UNREADABLE) as exc:
            named = [item for item in batch if any(str(path) in str(exc) for path, _ in item[1])]
            if isinstance(exc, SchemaMismatch) or len(named) != 1 or len(batch) < 3:
                return left + [f for f, _ in batch]
            batch.remove(named[0])
            left.append(named[0][0])
            continue
        finally:
            _clear_rejects(con)
        rejected = [
            f for f, file_members in batch if any(str(path) in alone for path, _ in file_members)
        ]
        if rejected:  # a zip's rows are its members' (`<zip>!<member>`)
            con.execute(
                """delete from _checked where _source = ? and split_part(_file, '!', 1)
                           in (select unnest(?::varchar[]))""",
                [source.name, [f.rel for f in rejected]],
            )
        return left + rejected
    return left + [f for f, _ in batch]


def _batchable(landed: _LandedFile) -> bool:
    """A file the set-based read can take: CSV, JSON lines or a zip of them in UTF-8, or
    Parquet; not empty."""
    try:
        fmt = file_format(landed.source, landed.path)
    except SchemaMismatch:
        return False
    text_ok = fmt in ("csv", "jsonl", "zip") and landed.source.encoding == "utf-8"
    return (text_ok or fmt == "parquet") and landed.size > 0


def _member_source(source: Source) -> Source:
    """The source as its files' members are read: a zip's members are JSON lines."""
    return dataclasses.replace(source, format="jsonl") if source.format == "zip" else source


def _batch_members(landed: _LandedFile, into: Path) -> list[tuple[Path, str]]:
    """What the set-based read scans of a file: the file, or a zip's JSON-lines members
    extracted into `into` (none when the zip cannot be opened or holds anything else: it is
    then read alone, which rejects it or reads its members one by one)."""
    if file_format(landed.source, landed.path) != "zip":
        return [(landed.path, landed.rel)]
    try:
        members = _unzip(landed.path, landed.rel, into)
    except (*_UNREADABLE, zlib.error):
        return []
    source = _member_source(landed.source)
    try:
        if all(file_format(source, path) == "jsonl" for path, _ in members):
            return members
    except SchemaMismatch:
        pass
    return []


def _batch_key(con, landed: _LandedFile) -> tuple | None:
    """What the files read in one pass share: source, format, compression, and a CSV file's
    header line or a Parquet file's schema, so that every file of a batch has the batch's
    columns and types, as it would read alone. None: a file read alone (also one whose header
    or schema cannot be read, which its own read then rejects with the reason)."""
    if not _batchable(landed):
        return None
    fmt = file_format(landed.source, landed.path)
    shape = None
    try:
        if fmt == "csv":
            with _open_text(landed.path) as handle:
                shape = handle.readline(1 << 20)
        elif fmt == "parquet":
            shape = tuple(
                con.execute(
                    f"describe select * from read_parquet({_q(str(landed.path))})"
                ).fetchall()
            )
    except (*_UNREADABLE, zlib.error):
        return None
    return (landed.source.name, fmt, landed.path.name.lower().endswith(".gz"), shape)


def _value_sql(reader: _Reader, spec: FieldSpec, kind: str) -> str | None:
    """The field's text in the export (before mapping and casting), or None if absent."""
    if spec.value is not None:
        return _q(spec.value)
    if spec.hash_of:
        parts = [reader.access(n) or "null" for n in spec.hash_of]
        return "md5(concat_ws('|', " + ", ".join(f"coalesce({p}, '')" for p in parts) + "))"
    found = [reader.access(n, as_json=kind == JSON) for n in spec.names if reader.has(n)]
    found = [f for f in found if f]
    if not found:
        return None
    value = (
        found[0]
        if len(found) == 1
        else "coalesce(" + ", ".join(f"nullif(trim({f}), '')" for f in found) + ")"
    )
    if spec.first:
        value = (
            f"(case when left(trim({value}), 1) = '[' then json_extract_string({value}, '$[0]') "
            f"else trim(split_part({value}, ';', 1)) end)"
        )
    if spec.epoch:
        scale = 1 if spec.epoch == "seconds" else 1000
        # epoch numbers are wall-clock times in the source's zone (old Mixpanel projects)
        value = (
            f"coalesce(strftime(timezone('UTC', to_timestamp(try_cast({value} as double) / {scale})), "
            f"'%Y-%m-%d %H:%M:%S.%f'), {value})"
        )
    return value


def _file_sql(
    con,
    source: Source,
    table: LandingTable,
    path: Path,
    rel: str,
    display: str,
    known_accounts: bool,
    rescan: bool = False,
    reader: _Reader | None = None,
) -> str:
    """SELECT of one file (or of the files `reader` reads at once): canonical typed columns,
    meta columns, `_reason`/`_column`, `_filtered`. Raises SchemaMismatch when mapped fields
    are missing."""
    if reader is None:
        reader = _open(con, path, file_format(source, path), source, rescan)
    fmt = reader.fmt
    texts: dict[str, str] = {}
    missing = []
    for column, kind in table.columns.items():
        spec = source.fields[column]
        value = _value_sql(reader, spec, kind)
        if (
            fmt == "jsonl"
            and column in table.required
            and spec.names
            and reader.present_json
            and not any(reader.declares(n) for n in spec.names)
        ):
            value = None  # a required field the records do not have at all
        if value is None:
            # JSON records omit empty fields, so only required ones must be there (and only if
            # the file has a valid record at all); CSV and Parquet files have every mapped column
            if fmt == "jsonl" and column not in table.required:
                value = "null::varchar"
            else:
                missing.append(" or ".join(spec.referenced) or column)
                continue
        texts[column] = value
    if missing:
        raise SchemaMismatch(
            f"{display}: missing field(s) {', '.join(missing)} for source {source.name!r} "
            f"(the file has {', '.join(sorted(reader.columns.values() or reader.present_json)) or 'no fields'})"
        )

    checks = [("not _raw_ok", None, "'line is not a JSON object'")]
    typed = {}
    for column, kind in table.columns.items():
        spec = source.fields[column]
        text = f"nullif(trim({texts[column]}), '')"
        if spec.mapping:
            cases = " ".join(f"when {_q(k)} then {_q(v)}" for k, v in spec.mapping.items())
            keep = f" else {text}" if spec.unmapped == "keep" else ""
            mapped = f"(case {_label_key(text)} {cases}{keep} end)"
            checks.append(
                (
                    f"{text} is not null and {mapped} is null",
                    column,
                    f"{_q('value not mapped for ' + column + ': ')} || {text}",
                )
            )
            text = mapped
        if column in table.required:
            checks.append((f"{text} is null", column, _q(f"missing {column}")))
        if kind != TEXT:
            cast = CAST_SQL[kind].format(v=text)
            checks.append(
                (
                    f"{text} is not null and {cast} is null",
                    column,
                    f"{_q(CAST_REASON[kind] + ': ')} || {text}",
                )
            )
            typed[column] = cast
        else:
            typed[column] = text
    if known_accounts:
        checks.append(
            (
                f"{typed['account_id']} not in (select account_id from raw.accounts)",
                "account_id",
                f"{_q(UNKNOWN_ACCOUNT)} || {typed['account_id']}",
            )
        )
    filtered = "false"
    if source.where_field:
        value = _value_sql(reader, source.where_field, TEXT)
        if value is None:
            raise SchemaMismatch(
                f"{display}: missing field {' or '.join(source.where_field.names)} "
                f"used by `where` of source {source.name!r}"
            )
        filtered = _filtered_sql(source, value)
    used = {n for spec in source.fields.values() for n in spec.referenced}
    if source.where_field:
        used |= set(source.where_field.names)
    column_case = " ".join(f"when {c} then {_q(col) if col else 'null'}" for c, col, _ in checks)
    reason_case = " ".join(f"when {c} then {r}" for c, _, r in checks)
    columns = ", ".join(
        f"{typed[c]}::{SQL_TYPE[k]} as {_ident(c)}" for c, k in table.columns.items()
    )
    sql = f"""
        select {columns}, {_q(source.name)} as _source, {reader.file_sql or _q(display)} as _file,
               cast(_line as bigint) as _line, {reader.unused_sql(used)} as _extra,
               case when _reason is not null then {reader.raw} end as _raw,
               _filtered, _column, _reason
        from (
            select *, {filtered} as _filtered,
                   case when {filtered} then null else (case {column_case} end) end as _column,
                   case when {filtered} then null else (case {reason_case} end) end as _reason
            from {reader.relation})"""
    if reader.rejected:  # rows the reader could not split into fields: quarantined as they are
        nulls = ", ".join(f"null::{SQL_TYPE[k]} as {_ident(c)}" for c, k in table.columns.items())
        sql += f"""
        union all
        select {nulls}, {_q(source.name)}, {_q(display)}, line, null, raw, false, null, reason
        from {reader.rejected}"""
    return sql


# ---- the manifest and the tables ------------------------------------------------------------


def _ensure_tables(con) -> None:
    con.execute("create schema if not exists raw")
    con.execute("create schema if not exists quarantine")
    meta = ", ".join(f"{c} {t}" for c, t in META_COLUMNS.items())
    # one raw table per canonical table, plus the later copies of repeated events; a column the
    # declaration gained since the table was made is added (rows are inserted by name)
    declared = schema.tables()
    events = next(t for t in declared if t.is_events)
    for name, table in [(t.name, t) for t in declared] + [("events_duplicates", events)]:
        cols = ", ".join(f"{_ident(c)} {SQL_TYPE[k]}" for c, k in table.columns.items())
        con.execute(f"create table if not exists raw.{name} ({cols}, {meta})")
        for column, kind in table.columns.items():
            con.execute(
                f"alter table raw.{name} add column if not exists {_ident(column)} {SQL_TYPE[kind]}"
            )
    # what each canonical table and column holds travels with it (config/schema.yml)
    for table in declared:
        con.execute(f"comment on table raw.{table.name} is {_q(table.description)}")
        for column, text in [*table.column_descriptions, *META_DESCRIPTIONS.items()]:
            con.execute(f"comment on column raw.{table.name}.{_ident(column)} is {_q(text)}")
    con.execute(
        "create table if not exists raw.events_latest_files (_source varchar, _file varchar)"
    )
    con.execute("""create view if not exists raw.events_latest_load as
        select * from raw.events where (_source, _file) in (select * from raw.events_latest_files)""")
    con.execute("""
        create table if not exists quarantine.rejected_rows (
            source varchar, file varchar, line bigint, column_name varchar, reason varchar,
            raw_record varchar)""")
    con.execute("""
        create table if not exists raw.landed_files (
            source varchar, file varchar, table_name varchar, size_bytes bigint,
            modified_ns bigint, sha256 varchar, duplicate_of varchar, rows_landed bigint,
            rows_loaded bigint, rows_duplicate bigint, rows_filtered bigint,
            rows_quarantined bigint, loaded_at timestamp)""")
    # status: loaded | duplicate (of another file) | rejected (unreadable: reason, line) |
    # unclaimed (no source matches the file: no source, no table, no rows)
    for column, kind in (("status", "varchar"), ("reason", "varchar"), ("line", "bigint")):
        con.execute(f"alter table raw.landed_files add column if not exists {column} {kind}")
    con.execute("""update raw.landed_files set status = case when duplicate_of is null
        then 'loaded' else 'duplicate' end where status is null""")
    # both are published beside the marts: their descriptions travel as DuckDB comments
    for table, (about, columns) in PUBLISHED_DESCRIPTIONS.items():
        con.execute(f"comment on table {table} is {_q(about)}")
        for column, text in columns.items():
            con.execute(f"comment on column {table}.{column} is {_q(text)}")


# What analysts read in the published file's load tables (SPEC §4.1: every published table and
# column carries its description).
PUBLISHED_DESCRIPTIONS = {
    "quarantine.rejected_rows": (
        "One row per landed row that could not be loaded (SPEC §5): where it came from, why, and "
        "the raw record; the rest of its file loaded.",
        {
            "source": "The registry source (config/sources.yml) of the file.",
            "file": "The landed file, relative to the landing zone.",
            "line": "The row's physical line in the file (1 is a CSV's header), or its record number.",
            "column_name": "The canonical column that could not be loaded; NULL for the whole row.",
            "reason": "Why the row was not loaded (unparseable timestamp, unknown account_id, ...).",
            "raw_record": "The row as landed, a JSON object of its fields.",
        },
    ),
    "raw.landed_files": (
        "One row per file under the landing zone: what the loader did with it and every landed "
        "row accounted for (landed = loaded + duplicate + filtered + quarantined).",
        {
            "source": "The registry source that reads the file; NULL when no source claims it.",
            "file": "The file, relative to the landing zone.",
            "table_name": "The canonical table it loads (accounts, contracts, onboarding, events).",
            "size_bytes": "The file's size when it was loaded.",
            "modified_ns": "The file's modification time (ns since the epoch) when it was loaded.",
            "sha256": "The file's checksum: the same content under another name is a duplicate.",
            "duplicate_of": "The file already loaded with the same content; NULL otherwise.",
            "rows_landed": "Rows in the file.",
            "rows_loaded": "Rows loaded into the raw table.",
            "rows_duplicate": "Rows already loaded from an earlier delivery (same key).",
            "rows_filtered": "Rows the source's filter leaves out (not events, lost deals, ...).",
            "rows_quarantined": "Rows in quarantine.rejected_rows.",
            "loaded_at": "When the loader last read the file (UTC).",
            "status": "loaded, duplicate (of another file), rejected (unreadable) or unclaimed (no "
            "source matches it).",
            "reason": "Why a file was rejected or is unclaimed; NULL otherwise.",
            "line": "The line where a rejected file became unreadable, when known.",
        },
    ),
}


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


@dataclass
class _LandedFile:
    source: Source
    path: Path
    rel: str
    size: int
    modified_ns: int
    sha256: str | None = None
    state: str = "new"  # new | changed | unchanged | redelivered
    duplicate_of: str | None = None
    rejected: tuple[str, int | None] | None = None  # (reason, line) when it could not be read

    @property
    def reason_text(self) -> str:
        reason, line = self.rejected or ("", None)
        return f"{reason} (line {line})" if line else reason


def _survey(
    con, landing_dir: Path, sources: list[Source], table: LandingTable
) -> list[_LandedFile]:
    """Every landed file of the table's sources, and whether it must be read."""
    known = {
        (r[0], r[1]): r[2:]
        for r in con.execute(
            "select source, file, size_bytes, modified_ns, sha256, duplicate_of, status "
            "from raw.landed_files where table_name = ?",
            [table.name],
        ).fetchall()
    }
    files = []
    for source in sources:
        found = {p for pattern in source.patterns for p in landing_dir.glob(pattern) if p.is_file()}
        for path in sorted(found, key=lambda p: p.relative_to(landing_dir).as_posix()):
            stat = path.stat()
            rel = path.relative_to(landing_dir).as_posix()
            landed = _LandedFile(source, path, rel, stat.st_size, stat.st_mtime_ns)
            before = known.get((source.name, rel))
            if before and before[4] == "rejected":  # tried again: it may read now
                landed.sha256, landed.state = _sha256(path), "changed"
            elif before and before[0] == stat.st_size and before[1] == stat.st_mtime_ns:
                landed.state, landed.sha256, landed.duplicate_of = "unchanged", before[2], before[3]
            else:
                landed.sha256 = _sha256(path)
                if before and before[2] == landed.sha256:
                    landed.state, landed.duplicate_of = "unchanged", before[3]
                    con.execute(
                        "update raw.landed_files set modified_ns = ? where source = ? and file = ?",
                        [stat.st_mtime_ns, source.name, rel],
                    )
                else:
                    landed.state = "changed" if before else "new"
            files.append(landed)
    # the same content already loaded under another name: nothing new in it
    loaded_hashes = {}
    for r in con.execute(
        "select sha256, source, file from raw.landed_files where table_name = ? "
        "and status = 'loaded' order by file",
        [table.name],
    ).fetchall():
        loaded_hashes.setdefault((r[1], r[0]), r[2])
    for landed in files:
        if landed.state in ("new", "changed"):
            original = loaded_hashes.get((landed.source.name, landed.sha256))
            if original and original != landed.rel:
                landed.state, landed.duplicate_of = "redelivered", original
            else:
                loaded_hashes[(landed.source.name, landed.sha256)] = landed.rel
    return files


def _read_files(con, landing_dir: Path, table: LandingTable, files: list[_LandedFile]) -> None:
    """Read files into temp table `_checked` (typed rows with _reason/_filtered). A file that
    cannot be read is marked `rejected` with the reason and contributes no row."""
    con.execute("drop table if exists _checked")
    cols = ", ".join(f"null::{SQL_TYPE[k]} as {_ident(c)}" for c, k in table.columns.items())
    con.execute(f"""create temp table _checked as select {cols}, null::varchar as _source,
        null::varchar as _file, null::bigint as _line, null::varchar as _extra,
        null::varchar as _raw, false as _filtered, null::varchar as _column,
        null::varchar as _reason where false""")
    # Many small files (daily or hourly exports) are read in one pass per source, format and
    # shape: read one by one, 265 files took 47 times as long as 3 with the same rows (issue
    # 15); bench/many_files.py compares the two. A file the pass leaves is read alone below.
    workdir = Path(tempfile.mkdtemp(prefix="ttv_read_"))
    try:
        batches: dict[tuple, list[tuple[_LandedFile, list[tuple[Path, str]]]]] = {}
        for number, landed in enumerate(files):
            key = _batch_key(con, landed)
            if key is not None:
                members = _batch_members(landed, workdir / f"batch_{number}")
                if members:
                    batches.setdefault(key, []).append((landed, members))
        done: set[int] = set()
        for batch in batches.values():
            if sum(len(members) for _, members in batch) > 1:
                left = {id(f) for f in _read_batch(con, table, batch)}
                done |= {id(f) for f, _ in batch if id(f) not in left}
        for number, landed in enumerate(files):
            if id(landed) in done:
                continue
            into = workdir / str(number)
            into.mkdir()
            # Rows go straight to _checked: an insert that fails adds nothing (one statement,
            # one transaction), and a rejected zip's earlier members are deleted below.
            try:
                if landed.size == 0:
                    raise UnreadableFile("empty file (0 bytes)")
                members = [(landed.path, landed.rel)]
                if file_format(landed.source, landed.path) == "zip":
                    members = _unzip(landed.path, landed.rel, into / "zip")
                for path, display in members:
                    source = _member_source(landed.source)
                    fmt = file_format(source, path)
                    try:
                        path = _as_utf8(path, fmt, source.encoding, into)
                        con.execute(f"set TimeZone = {_q(source.timezone)}")
                        sql = _file_sql(
                            con, source, table, path, landed.rel, display, table.needs_known_account
                        )
                        con.execute(f"insert into _checked by name {sql}")
                        # JSON lines are scanned once: lines the reader rejected (too long,
                        # not UTF-8) are known only now, and move the lines after them. Rare:
                        # read the file again knowing them, rather than every file twice.
                        if fmt == "jsonl" and _rejected_lines(con):
                            con.execute(
                                "delete from _checked where _source = ? and _file = ?",
                                [source.name, display],
                            )
                            sql = _file_sql(
                                con,
                                source,
                                table,
                                path,
                                landed.rel,
                                display,
                                table.needs_known_account,
                                rescan=True,
                            )
                            con.execute(f"insert into _checked by name {sql}")
                    except _UNREADABLE as exc:
                        raise _unreadable(exc, path, display, fmt, source) from None
            except UnreadableFile as exc:
                landed.rejected = (exc.reason, exc.line)
            except _UNREADABLE as exc:  # the zip itself
                landed.rejected = (_first_line(str(exc)), None)
            finally:
                _clear_rejects(con)
            if landed.rejected:
                con.execute(
                    "delete from _checked where _source = ? and (_file = ? or _file "
                    "like ? || '!%')",
                    [landed.source.name, landed.rel, landed.rel],
                )
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def _first_line(message: str) -> str:
    text = message.strip().splitlines()[0] if message.strip() else "unreadable"
    return re.sub(r"^[A-Za-z ]*Error: ", "", text)


def _unreadable(
    exc: BaseException, path: Path, display: str, fmt: str, source: Source
) -> UnreadableFile:
    """The reason (and line, where known) a file could not be read, without DuckDB's SQL echo
    or the temporary path of an unzipped or transcoded copy."""
    if isinstance(exc, UnreadableFile):
        return exc
    message = str(exc).replace(str(path), display)
    if "line size" in message.lower() or "maximum line size" in message.lower():
        # DuckDB's sniffer names line 1 for any over-long line: find the real one
        return UnreadableFile(
            f"a line is longer than max_line_size ({source.max_line_size} "
            "bytes; raise it for the source in config/sources.yml)",
            _first_long_line(path, source.max_line_size),
        )
    if "byte sequence mismatch" in message or "not utf-8" in message.lower():
        found = re.search(r"Line: (\d+)", message)
        return UnreadableFile(
            "not valid UTF-8 text; set the source's `encoding` (latin-1 or "
            "cp1252) in config/sources.yml",
            int(found.group(1)) if found else None,
        )
    reason = _first_line(message)
    if fmt == "parquet":
        reason = f"not a readable Parquet file: {reason}"
    return UnreadableFile(reason)


def _open_text(path: Path):
    return gzip.open(path, "rb") if path.name.lower().endswith(".gz") else path.open("rb")


def _first_long_line(path: Path, limit: int) -> int | None:
    try:
        with _open_text(path) as handle:
            for number, line in enumerate(handle, start=1):
                if len(line) > limit:
                    return number
    except (OSError, EOFError):
        return None
    return None


def _as_utf8(path: Path, fmt: str, encoding: str, into: Path) -> Path:
    """A text file in another encoding, as a UTF-8 copy for DuckDB (whose CSV reader knows
    latin-1 but not cp1252); a byte the encoding does not define rejects the file at its line."""
    if encoding == "utf-8" or fmt not in ("csv", "jsonl"):
        return path
    target = into / ("utf8_" + path.name.removesuffix(".gz"))  # keeps what tells the format
    decoder = codecs.getincrementaldecoder(encoding)()
    with _open_text(path) as src, target.open("wb") as dst:
        for number, line in enumerate(src, start=1):
            try:
                dst.write(decoder.decode(line).encode("utf-8"))
            except UnicodeDecodeError:
                raise UnreadableFile(f"not valid {encoding} text", number) from None
    return target


def _unzip(path: Path, rel: str, into: Path) -> list[tuple[Path, str]]:
    """Members of a zip export (Amplitude: gzipped JSON lines), extracted for DuckDB to read."""
    into.mkdir(parents=True)
    members = []
    with zipfile.ZipFile(path) as archive:
        for info in sorted(archive.infolist(), key=lambda i: i.filename):
            if info.is_dir():
                continue
            target = into / f"{len(members)}_{Path(info.filename).name}"
            with archive.open(info) as src, target.open("wb") as dst:
                shutil.copyfileobj(src, dst)
            members.append((target, f"{rel}!{info.filename}"))
    return members


def _quarantine(con) -> None:
    con.execute("""
        insert into quarantine.rejected_rows
        select _source, _file, _line, _column, _reason, _raw from _checked
        where _reason is not null order by _file, _line""")


def _canonical_select(table: LandingTable) -> str:
    return ", ".join([_ident(c) for c in table.columns] + list(META_COLUMNS))


def _load_events(con, table: LandingTable, files: list[_LandedFile]) -> bool:
    """Add the rows of new and changed files; True when earlier rows were replaced."""
    cols = _canonical_select(table)
    replaced = [f for f in files if f.state == "changed"]
    for landed in replaced:
        for target in ("raw.events", "raw.events_duplicates"):
            con.execute(
                f"delete from {target} where _source = ? and _file like ? || '%'",
                [landed.source.name, landed.rel],
            )
        con.execute(
            "delete from quarantine.rejected_rows where source = ? and file like ? || '%'",
            [landed.source.name, landed.rel],
        )
    if replaced:  # a first delivery removed: its next copy becomes the event
        con.execute(f"""
            insert into raw.events by name select {cols} from raw.events_duplicates d
            where not exists (select 1 from raw.events e where e.event_id = d.event_id)
            qualify row_number() over (partition by event_id order by _file, _line) = 1""")
        con.execute("""delete from raw.events_duplicates d where exists (
            select 1 from raw.events e where e._source = d._source and e._file = d._file
            and e._line = d._line)""")
    _quarantine(con)
    if not any(f.state in ("new", "changed") for f in files):
        return bool(replaced)
    # which of the batch's keys history already has: a semi-join that probes history with the
    # batch's keys, so a daily load hashes the day, not every event ever loaded
    con.execute("""
        create or replace temp table _known as
        select event_id from raw.events
        where event_id in (select event_id from _checked where _reason is null and not _filtered)""")
    con.execute(f"""
        create or replace temp table _fresh as
        select {cols}, row_number() over (partition by event_id order by _file, _line) = 1
                       and event_id not in (select event_id from _known) as _is_first
        from _checked where _reason is null and not _filtered""")
    con.execute("drop table _known")
    con.execute(f"insert into raw.events by name select {cols} from _fresh where _is_first")
    con.execute(
        f"insert into raw.events_duplicates by name select {cols} from _fresh where not _is_first"
    )
    con.execute("drop table _fresh")
    # the rows this load added, for the data-quality suite: a daily check costs the new day,
    # while uniqueness against history is this loader's anti-join above
    if any(f.state in ("new", "changed") for f in files):
        con.execute("delete from raw.events_latest_files")
        con.execute(
            "insert into raw.events_latest_files select distinct _source, _file from _checked"
        )
    return bool(replaced)


def _load_snapshot(con, table: LandingTable, sources: list[Source]) -> None:
    """CRM: rebuild from every file; a key's rows come from the latest file that has it. Rows of
    one file with the same key all stay (a duplicate there is bad data the checks must see)."""
    cols = _canonical_select(table)
    con.execute(
        "delete from quarantine.rejected_rows where source in (select unnest(?::varchar[]))",
        [[s.name for s in sources]],
    )
    _quarantine(con)
    con.execute(f"delete from raw.{table.name}")
    con.execute(f"""
        insert into raw.{table.name} by name
        select {cols} from _checked where _reason is null and not _filtered
        qualify _file = max(_file) over (partition by {_ident(table.key)})
        order by _file, _line""")


def _record(
    con, table: LandingTable, files: list[_LandedFile], now: dt.datetime, recount_all: bool
) -> None:
    """Write the manifest rows of the files read or re-delivered in this load: set-based, so
    265 small files cost a few statements, not two each. Read files first, then the rejected,
    then the re-delivered (which copy their original's row, perhaps written just before)."""
    written = [f for f in files if not (f.state == "unchanged" and table.is_events)]
    if written:
        con.execute(
            "delete from raw.landed_files where (source, file) in (select "
            "unnest(?::varchar[]), unnest(?::varchar[]))",
            [[f.source.name for f in written], [f.rel for f in written]],
        )
    read = [f for f in written if f.state != "redelivered" and not f.rejected]
    if read:
        con.execute(
            """
            create or replace temp table _manifest as
            select unnest(?::varchar[]) as source, unnest(?::varchar[]) as file,
                   unnest(?::bigint[]) as size_bytes, unnest(?::bigint[]) as modified_ns,
                   unnest(?::varchar[]) as sha256""",
            [
                [f.source.name for f in read],
                [f.rel for f in read],
                [f.size for f in read],
                [f.modified_ns for f in read],
                [f.sha256 for f in read],
            ],
        )
        # rows per file (a zip's members count under the zip), grouped before the join
        con.execute(
            """
            insert into raw.landed_files
            select m.source, m.file, ?, m.size_bytes, m.modified_ns, m.sha256, null,
                   coalesce(sum(c.n), 0), 0, 0, coalesce(sum(c.filtered), 0), 0, ?, 'loaded',
                   null, null
            from _manifest m
            left join (select _source, _file, count(*) as n,
                              count(case when _filtered then 1 end) as filtered
                       from _checked group by all) c
              on c._source = m.source and (c._file = m.file or c._file like m.file || '!%')
            group by m.source, m.file, m.size_bytes, m.modified_ns, m.sha256""",
            [table.name, now],
        )
        con.execute("drop table _manifest")
    for landed in written:
        if landed.rejected:  # nothing of it was read: no rows to account for
            con.execute(
                "insert into raw.landed_files values "
                "(?, ?, ?, ?, ?, ?, null, 0, 0, 0, 0, 0, ?, 'rejected', ?, ?)",
                [
                    landed.source.name,
                    landed.rel,
                    table.name,
                    landed.size,
                    landed.modified_ns,
                    landed.sha256,
                    now,
                    *landed.rejected,
                ],
            )
    for landed in written:
        if landed.state == "redelivered":
            con.execute(
                """
                insert into raw.landed_files
                select ?, ?, ?, ?, ?, ?, ?, rows_landed, 0, rows_landed, 0, 0, ?, 'duplicate',
                       null, null
                from raw.landed_files where source = ? and file = ?""",
                [
                    landed.source.name,
                    landed.rel,
                    table.name,
                    landed.size,
                    landed.modified_ns,
                    landed.sha256,
                    landed.duplicate_of,
                    now,
                    landed.source.name,
                    landed.duplicate_of,
                ],
            )
    # loaded / duplicate / quarantined counted in the tables themselves, for the files read now,
    # or for every file of the table after a replacement (promoted copies change other files).
    # A CRM table is recounted only when its snapshot was merged again (from every file, so
    # `_checked` holds the superseded rows): counts follow the landed files, not the run.
    if not files:
        return
    if table.is_events:
        duplicates = "raw.events_duplicates"
    else:
        con.execute(f"""create or replace temp table _superseded as
            select _source, _file from _checked where _reason is null and not _filtered
            except all select _source, _file from raw.{table.name}""")
        duplicates = "_superseded"
    scope = (
        ""
        if recount_all
        else "and (m.source, m.file) in (select _source, split_part(_file, '!', 1) from _checked)"
    )
    con.execute(
        f"""
        with loaded as (
            select _source, split_part(_file, '!', 1) as file, count(*) as n from raw.{table.name}
            where {"true" if recount_all else "(_source, _file) in (select _source, _file from _checked)"}
            group by all),
        duplicate as (
            select _source, split_part(_file, '!', 1) as file, count(*) as n from {duplicates}
            group by all),
        quarantined as (
            select source, split_part(file, '!', 1) as file, count(*) as n
            from quarantine.rejected_rows group by all)
        update raw.landed_files m set
            rows_loaded = coalesce((select n from loaded l where l._source = m.source and l.file = m.file), 0),
            rows_duplicate = coalesce((select n from duplicate d where d._source = m.source and d.file = m.file), 0),
            rows_quarantined = coalesce((select n from quarantined q where q.source = m.source and q.file = m.file), 0)
        where m.table_name = ? and m.status = 'loaded' {scope}""",
        [table.name],
    )
    con.execute("drop table if exists _superseded")


UNCLAIMED_REASON = "no source in the registry (config/sources.yml) matches this file"


def _claimed(landing_dir: Path, sources: list[Source]) -> set[Path]:
    return {
        p
        for s in sources
        for pattern in s.patterns
        for p in landing_dir.glob(pattern)
        if p.is_file()
    }


def _record_unclaimed(
    con, landing_dir: Path, registry: list[Source], now: dt.datetime
) -> list[str]:
    """Every file under the landing zone that no source reads, as `unclaimed` rows of
    raw.landed_files (no source, no table, no rows), so a vendor's new file name or folder is
    seen rather than silently skipped. Hidden files and folders (`.DS_Store`, `.git/`) are not
    exports. A row stays as it was while its file is unchanged, so re-running changes nothing."""
    claimed = _claimed(landing_dir, registry)
    # the warehouse itself (and its .wal), should it lie in the landing zone: not an export
    own = tuple(
        str(Path(r[0]).resolve())
        for r in con.execute(
            "select path from duckdb_databases() where path is not null"
        ).fetchall()
    )
    found = {}
    for path in landing_dir.rglob("*"):
        rel = path.relative_to(landing_dir)
        if (
            any(part.startswith(".") for part in rel.parts)
            or path in claimed
            or not path.is_file()
            or (own and str(path.resolve()).startswith(own))
        ):
            continue
        stat = path.stat()
        found[rel.as_posix()] = (stat.st_size, stat.st_mtime_ns)
    before = {
        r[0]: (r[1], r[2])
        for r in con.execute(
            "select file, size_bytes, modified_ns from raw.landed_files where status = 'unclaimed'"
        ).fetchall()
    }
    stale = [f for f, stat in before.items() if found.get(f) != stat]
    if stale:
        con.execute(
            "delete from raw.landed_files where status = 'unclaimed' "
            "and file in (select unnest(?::varchar[]))",
            [stale],
        )
    for rel, (size, modified_ns) in sorted(found.items()):
        if before.get(rel) != (size, modified_ns):
            con.execute(
                "insert into raw.landed_files values (null, ?, null, ?, ?, null, null, "
                "0, 0, 0, 0, 0, ?, 'unclaimed', ?, null)",
                [rel, size, modified_ns, now, UNCLAIMED_REASON],
            )
    return sorted(found)


def load_table(
    con,
    landing_dir: Path,
    table: LandingTable,
    registry: list[Source],
    now: dt.datetime | None = None,
    derived: Sequence[str] = (),
) -> LoadResult:
    """Load what is new for one canonical table from every source that fills it.

    `derived`: `schema.table` names of tables built incrementally from raw.events (the dbt
    incremental models). They keep what earlier events gave, so when this load replaces earlier
    events (a re-delivered file whose content changed) it drops them, in its transaction, and the
    next build makes them again from every event.

    Raises SchemaMismatch naming the file and fields when a file lacks mapped fields; nothing
    in the warehouse changes then (the caller's transaction is rolled back).
    """
    now = now or dt.datetime.now(dt.UTC).replace(tzinfo=None, microsecond=0)
    table = schema.table(table.name)  # the current declaration (TTV_SCHEMA)
    _ensure_tables(con)
    sources = [s for s in registry if s.table == table.name]
    files = _survey(con, landing_dir, sources, table)
    if table.is_events:
        # events quarantined for an account the CRM has since delivered: read their files again
        retry = {
            r[0]
            for r in con.execute(
                f"""
            select distinct split_part(file, '!', 1) from quarantine.rejected_rows
            where source in (select unnest(?::varchar[])) and reason like '{UNKNOWN_ACCOUNT}%'
              and substr(reason, {len(UNKNOWN_ACCOUNT) + 1}) in (select account_id from raw.accounts)""",
                [[s.name for s in sources]],
            ).fetchall()
        }
        for landed in files:
            if landed.state == "unchanged" and landed.rel in retry and not landed.duplicate_of:
                landed.state = "changed"
        to_read = [f for f in files if f.state in ("new", "changed")]
    gone: set = set()
    if not table.is_events:
        changed = any(f.state != "unchanged" for f in files)
        known = {
            (r[0], r[1])
            for r in con.execute(
                "select source, file from raw.landed_files where table_name = ?", [table.name]
            ).fetchall()
        }
        gone = known - {(f.source.name, f.rel) for f in files}
        to_read = [f for f in files if f.state != "redelivered"] if (changed or gone) else []
    # reading writes temp tables only; a reader's error must not abort the load's transaction
    try:
        _read_files(con, landing_dir, table, to_read)
    except BaseException:
        con.execute("set TimeZone = 'UTC'")
        raise
    con.execute("begin transaction")
    try:
        # a CRM file no longer landed: the snapshot is merged again without it
        for source, rel in gone:
            con.execute("delete from raw.landed_files where source = ? and file = ?", [source, rel])
        unclaimed = _record_unclaimed(con, landing_dir, registry, now)
        replaced = False
        if table.is_events:
            replaced = _load_events(con, table, files)
            for name in derived if replaced else ():
                con.execute(f"drop table if exists {'.'.join(map(_ident, name.split('.')))}")
        elif to_read or gone:
            _load_snapshot(con, table, sources)
        _record(
            con,
            table,
            [f for f in files if f in to_read or f.state == "redelivered"],
            now,
            recount_all=replaced or not table.is_events,
        )
        reasons = dict(
            con.execute("""
            select regexp_replace(_reason, ':.*$', ''), count(*) from _checked
            where _reason is not null group by all order by all""").fetchall()
        )
        totals = con.execute(
            """
            select coalesce(sum(rows_landed), 0), coalesce(sum(rows_loaded), 0),
                   coalesce(sum(rows_duplicate), 0), coalesce(sum(rows_filtered), 0),
                   coalesce(sum(rows_quarantined), 0)
            from raw.landed_files where table_name = ?""",
            [table.name],
        ).fetchone()
        con.execute("drop table if exists _checked")
        con.execute("commit")
    except BaseException:
        con.execute("rollback")
        raise
    finally:
        con.execute("set TimeZone = 'UTC'")
    rejected = [(f.rel, f.reason_text) for f in to_read if f.rejected]
    return LoadResult(
        table.name,
        len(files),
        len(to_read),
        *[int(t) for t in totals],
        reasons,
        rejected,
        unclaimed,
    )


def load_landing(con, landing_dir: Path, registry: list[Source]) -> list[LoadResult]:
    """Load every canonical table, accounts first (the others must name a known account)."""
    return [load_table(con, landing_dir, table, registry) for table in schema.tables()]
