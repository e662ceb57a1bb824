"""The one place that knows the canonical landing layout (SPEC §3) and loads it into DuckDB.

Each landing table is read with DuckDB's own readers (CSV, JSON lines plain or gzipped, Parquet),
every value as text first, then cast in SQL. Rows that cannot be loaded go to
`quarantine.rejected_rows` with the file, line, column and reason (SPEC §5); the rest load.
Events are deduplicated on `event_id`, keeping the first delivery (by file name, then line).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

# Per-column kinds; each kind has one SQL cast and one reason when the cast fails.
TEXT, TIMESTAMP, DATE, DECIMAL, BOOLEAN, JSON = "text", "timestamp", "date", "decimal", "boolean", "json"

CAST_SQL = {
    TEXT: "{v}",
    # With TimeZone=UTC an ISO-8601 value with an offset is converted to UTC, one without is UTC
    # and a date-only value is midnight UTC; stored as a plain UTC timestamp (SPEC §3).
    TIMESTAMP: "timezone('UTC', try_cast({v} as timestamptz))",
    DATE: "coalesce(try_cast({v} as date), cast(timezone('UTC', try_cast({v} as timestamptz)) as date))",
    DECIMAL: "try_cast({v} as decimal(18, 2))",
    BOOLEAN: "try_cast({v} as boolean)",
    JSON: "case when json_valid({v}) then {v} end",
}
SQL_TYPE = {TEXT: "varchar", TIMESTAMP: "timestamp", DATE: "date", DECIMAL: "decimal(18, 2)",
            BOOLEAN: "boolean", JSON: "varchar"}
CAST_REASON = {
    TIMESTAMP: "unparseable timestamp",
    DATE: "unparseable date",
    DECIMAL: "not a decimal number",
    BOOLEAN: "not true/false",
    JSON: "not a JSON object",
}


@dataclass(frozen=True)
class LandingTable:
    """One table of the canonical layout: where its files are and what its columns are."""

    name: str
    patterns: tuple[str, ...]
    columns: dict[str, str]
    required: tuple[str, ...]
    key: str | None = None  # deduplication key: later deliveries of a key are duplicates
    needs_known_account: bool = True
    group: str = field(default="crm")

    @property
    def source(self) -> str:
        return f"{self.group}.{self.name}"


ACCOUNTS = LandingTable(
    name="accounts",
    patterns=("crm/accounts.csv",),
    columns={
        "account_id": TEXT, "account_name": TEXT, "segment": TEXT, "industry": TEXT,
        "plan_tier": TEXT, "sales_channel": TEXT, "csm_owner": TEXT, "region": TEXT,
        "created_at": TIMESTAMP, "churned_at": TIMESTAMP, "churn_reason": TEXT,
    },
    required=("account_id",),
    needs_known_account=False,
)
CONTRACTS = LandingTable(
    name="contracts",
    patterns=("crm/contracts.csv",),
    columns={
        "contract_id": TEXT, "account_id": TEXT, "contract_type": TEXT, "signed_at": TIMESTAMP,
        "start_date": DATE, "end_date": DATE, "arr": DECIMAL,
    },
    required=("contract_id", "account_id"),
)
ONBOARDING = LandingTable(
    name="onboarding",
    patterns=("crm/onboarding.csv",),
    columns={
        "account_id": TEXT, "kickoff_at": TIMESTAMP, "access_provisioned_at": TIMESTAMP,
        "configuration_completed_at": TIMESTAMP, "data_migrated_at": TIMESTAMP,
        "training_completed_at": TIMESTAMP, "first_production_use_at": TIMESTAMP,
        "value_confirmed_at": TIMESTAMP, "full_value_at": TIMESTAMP, "pre_onboarding": BOOLEAN,
        "configuration_approach": TEXT, "touch_model": TEXT, "onboarding_variant": TEXT,
        "integrations": TEXT,
    },
    required=("account_id",),
)
EVENTS = LandingTable(
    name="events",
    group="product",
    patterns=("product/events/*.csv", "product/events/*.jsonl", "product/events/*.jsonl.gz",
              "product/events/*.parquet"),
    columns={
        "event_id": TEXT, "account_id": TEXT, "user_id": TEXT, "event_name": TEXT,
        "occurred_at": TIMESTAMP, "properties": JSON,
    },
    required=("event_id", "account_id", "event_name", "occurred_at"),
    key="event_id",
)
TABLES = (ACCOUNTS, CONTRACTS, ONBOARDING, EVENTS)

QUARANTINE_COLUMNS = ("source", "file", "line", "column_name", "reason", "raw_record")


class SchemaMismatch(ValueError):
    """A landed file's columns do not match its table: the source stops (SPEC §5)."""


@dataclass(frozen=True)
class LoadResult:
    """What one landing table's load did, for Dagster metadata and the run's output."""

    table: str
    files: int
    rows_landed: int
    rows_loaded: int
    rows_duplicate: int
    rows_quarantined: int
    reasons: dict[str, int]


def connect_settings(con) -> None:
    """Session settings every loading connection needs (UTC for timestamp parsing)."""
    con.execute("set TimeZone = 'UTC'")


def landed_files(landing_dir: Path, table: LandingTable) -> list[Path]:
    """The table's files, sorted by path so the first delivery of a duplicate is well defined."""
    found = {p for pattern in table.patterns for p in landing_dir.glob(pattern) if p.is_file()}
    return sorted(found, key=lambda p: p.relative_to(landing_dir).as_posix())


def _q(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _read_file_sql(con, path: Path, table: LandingTable) -> tuple[str, list[str]]:
    """A SQL relation of one file: `_line`, `_raw` and every present column as text.

    Returns the SQL and the file's column names (for the schema check).
    """
    name = path.name.lower()
    fp = _q(str(path))
    if name.endswith(".csv"):
        reader = f"read_csv({fp}, all_varchar = true, header = true, auto_detect = true)"
        present = [r[0] for r in con.execute(f"describe select * from {reader}").fetchall()]
        cols = [c for c in table.columns if c in present]
        # A record's physical line: the header is line 1, and quoted values may span lines.
        newlines = " + ".join(
            f"coalesce(length({_ident(c)}) - length(replace({_ident(c)}, chr(10), '')), 0)"
            for c in present
        ) or "0"
        sql = f"""
            select *, 1 + _record + coalesce(sum(_newlines) over (
                order by _record rows between unbounded preceding and 1 preceding), 0) as _line
            from (
                select {", ".join(_ident(c) for c in cols)}, to_json(r) as _raw,
                       row_number() over () as _record, {newlines} as _newlines
                from {reader} as r
            )"""
        return sql, present
    if name.endswith(".jsonl") or name.endswith(".jsonl.gz"):
        # Read lines, not records, so a malformed line is quarantined with its line number
        # instead of failing the whole file. 0x1f never appears unescaped in valid JSON.
        reader = (f"read_csv({fp}, columns = {{'line': 'VARCHAR'}}, header = false, "
                  "delim = chr(31), quote = '', escape = '', auto_detect = false)")
        first = con.execute(
            f"select line from {reader} where json_valid(line) limit 1").fetchone()
        present = list(con.execute("select json_keys(?::json)", [first[0]]).fetchone()[0]) if first else []
        selects = []
        for c in table.columns:
            fn = "json_extract(line, {})::varchar" if table.columns[c] == JSON else "json_extract_string(line, {})"
            selects.append(f"case when _ok then {fn.format(_q('$.' + c))} end as {_ident(c)}")
        sql = f"""
            select {", ".join(selects)}, line as _raw, _line, not _ok as _bad_json
            from (
                select line, row_number() over () as _line,
                       case when json_valid(line) then json_type(line) = 'OBJECT' else false end as _ok
                from {reader}
            )"""
        return sql, present
    if name.endswith(".parquet"):
        reader = f"read_parquet({fp}, file_row_number = true)"
        described = con.execute(f"describe select * from read_parquet({fp})").fetchall()
        types = {r[0]: r[1] for r in described}
        selects = []
        for c in table.columns:
            if c not in types:
                continue
            if table.columns[c] == JSON and types[c].upper() != "VARCHAR":
                selects.append(f"to_json({_ident(c)})::varchar as {_ident(c)}")
            elif types[c].upper().startswith("TIMESTAMP"):
                selects.append(f"strftime({_ident(c)}, '%Y-%m-%dT%H:%M:%S.%f') as {_ident(c)}")
            else:
                selects.append(f"cast({_ident(c)} as varchar) as {_ident(c)}")
        sql = f"""
            select {", ".join(selects)}, to_json(r)::varchar as _raw, file_row_number + 1 as _line
            from {reader} as r"""
        return sql, list(types)
    raise SchemaMismatch(f"{path}: unsupported file type (expected .csv, .jsonl, .jsonl.gz, .parquet)")


def _validated_sql(landed: str, table: LandingTable, known_accounts: str | None) -> str:
    """Typed columns plus `_column`/`_reason` naming the first problem of each row (NULL if none)."""
    checks = [("_bad_json", "", "'line is not a JSON object'")]
    for c in table.required:
        checks.append((f"nullif(trim({_ident(c)}), '') is null", c, _q(f"missing {c}")))
    for c, kind in table.columns.items():
        if kind == TEXT:
            continue
        cast = CAST_SQL[kind].format(v=_ident(c))
        reason = f"{_q(CAST_REASON[kind] + ': ')} || {_ident(c)}"
        checks.append((f"nullif(trim({_ident(c)}), '') is not null and {cast} is null", c, reason))
    if known_accounts:
        checks.append((
            f"account_id not in (select account_id from {known_accounts})",
            "account_id", f"'unknown account_id: ' || account_id",
        ))
    column_case = " ".join(f"when {cond} then {_q(col) if col else 'null'}" for cond, col, _ in checks)
    reason_case = " ".join(f"when {cond} then {reason}" for cond, _, reason in checks)
    typed = ", ".join(
        f"{CAST_SQL[k].format(v='nullif(trim(' + _ident(c) + '), ' + _q('') + ')')} as {_ident(c)}"
        if k != TEXT else f"nullif(trim({_ident(c)}), '') as {_ident(c)}"
        for c, k in table.columns.items()
    )
    return f"""
        select {typed}, _file, _line, _raw,
               case {column_case} else null end as _column,
               case {reason_case} else null end as _reason
        from {landed}"""


def load_table(con, landing_dir: Path, table: LandingTable) -> LoadResult:
    """Load every file of one landing table into `raw.<name>`, bad rows into quarantine.

    Raises SchemaMismatch naming the file and columns when a file lacks required columns; nothing
    already in the warehouse is changed in that case.
    """
    connect_settings(con)
    files = landed_files(landing_dir, table)
    con.execute("create or replace temp table _landed as select * from (select 1) where false")
    first = True
    for path in files:
        rel = path.relative_to(landing_dir).as_posix()
        sql, present = _read_file_sql(con, path, table)
        missing = [c for c in table.columns if c not in present] if present else list(table.columns)
        if missing and not path.name.lower().endswith((".jsonl", ".jsonl.gz")):
            raise SchemaMismatch(
                f"{rel}: missing column(s) {', '.join(missing)} of {table.source} "
                f"(the file has {', '.join(present) or 'no columns'})"
            )
        if missing and present and [c for c in table.required if c not in present]:
            raise SchemaMismatch(
                f"{rel}: missing required field(s) {', '.join(c for c in table.required if c not in present)} "
                f"of {table.source} (the first record has {', '.join(present)})"
            )
        # Missing optional columns of JSON lines arrive as NULL: JSON records omit empty fields.
        select = ", ".join(
            _ident(c) if c in present or path.name.lower().endswith((".jsonl", ".jsonl.gz"))
            else f"null::varchar as {_ident(c)}"
            for c in table.columns
        )
        bad_json = "_bad_json" if path.name.lower().endswith((".jsonl", ".jsonl.gz")) else "false"
        body = (f"select {select}, {_q(rel)} as _file, cast(_line as bigint) as _line, _raw::varchar as _raw, "
                f"{bad_json} as _bad_json from ({sql})")
        if first:
            con.execute(f"create or replace temp table _landed as {body}")
            first = False
        else:
            con.execute(f"insert into _landed {body}")
    if first:  # no files: an empty, correctly typed table
        cols = ", ".join(f"null::varchar as {_ident(c)}" for c in table.columns)
        con.execute(f"create or replace temp table _landed as select {cols}, null::varchar as _file, "
                    "null::bigint as _line, null::varchar as _raw, false as _bad_json where false")

    known = "raw.accounts" if table.needs_known_account else None
    con.execute("create schema if not exists raw")
    con.execute("create schema if not exists quarantine")
    con.execute(f"create or replace temp table _checked as {_validated_sql('_landed', table, known)}")

    typed_cols = ", ".join(_ident(c) for c in table.columns)
    good = "select * from _checked where _reason is null"
    if table.key:
        dedup = (f"select {typed_cols}, _file, _line from ({good}) "
                 f"qualify row_number() over (partition by {_ident(table.key)} order by _file, _line) = 1")
    else:
        dedup = f"select {typed_cols}, _file, _line from ({good})"
    con.execute(f"create or replace table raw.{table.name} as {dedup}")

    con.execute("""
        create table if not exists quarantine.rejected_rows (
            source varchar, file varchar, line bigint, column_name varchar, reason varchar,
            raw_record varchar)""")
    con.execute("delete from quarantine.rejected_rows where source = ?", [table.source])
    con.execute(f"""
        insert into quarantine.rejected_rows
        select {_q(table.source)}, _file, _line, _column, _reason, _raw
        from _checked where _reason is not null order by _file, _line""")

    landed, quarantined, loaded = con.execute(f"""
        select (select count(*) from _landed),
               (select count(*) from _checked where _reason is not null),
               (select count(*) from raw.{table.name})""").fetchone()
    reasons = dict(con.execute("""
        select regexp_replace(_reason, ':.*$', ''), count(*) from _checked
        where _reason is not null group by all order by all""").fetchall())
    _record_files(con, table, files, landing_dir)
    for temp in ("_landed", "_checked"):
        con.execute(f"drop table if exists {temp}")
    return LoadResult(table.source, len(files), landed, loaded, landed - loaded - quarantined,
                      quarantined, reasons)


def _record_files(con, table: LandingTable, files: list[Path], landing_dir: Path) -> None:
    """Per-file accounting in `raw.landed_files`: landed = loaded + duplicate + quarantined."""
    con.execute("""
        create table if not exists raw.landed_files (
            source varchar, file varchar, rows_landed bigint, rows_loaded bigint,
            rows_duplicate bigint, rows_quarantined bigint)""")
    con.execute("delete from raw.landed_files where source = ?", [table.source])
    con.execute(f"""
        insert into raw.landed_files
        select {_q(table.source)}, l._file, count(*),
               count(*) filter (where k._file is not null),
               count(*) filter (where k._file is null and c._reason is null),
               count(*) filter (where c._reason is not null)
        from _landed l
        join _checked c using (_file, _line)
        left join raw.{table.name} k on k._file = l._file and k._line = l._line
        group by l._file order by l._file""")
