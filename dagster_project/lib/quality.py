"""Validate a DuckDB table against a Great Expectations suite kept as JSON in `expectations/`.

A suite is the GX 1.x serialized `ExpectationSuite` (`name`, `expectations` with `type`, `kwargs`
and `meta`), hand-written and committed. Each expectation carries `meta.severity`: "error" (the
default) blocks publication, "warn" is reported only; and `meta.why`, the reason it exists. The
suite's own `meta.row_key` (optional) names the columns that identify a row; failures of
expectations whose unexpected values say nothing (a null is a null) are illustrated by those keys.

Failures come back as sentences with the number of rows, a few values and the rows' keys. An
expectation on a column the table lacks fails, naming the column, instead of breaking the suite;
`unexpected_rows_expectation` (SQL returning the offending rows; `description` says what they
are) shows its first rows as examples.

The expectations run as SQL inside DuckDB, never in pandas: GX's SQL data source over
duckdb_engine, with the table as a query asset. GX bundles the aggregate metrics into one query per
domain and fetches at most 20 example rows per expectation, so the work and the memory stay in
DuckDB whatever the table's size. The database file is opened read-only and every connection is
closed before `validate_table` returns, so another process can take the (single) write lock next.

Two GX-over-duckdb_engine pitfalls are handled here:

* A table asset with `schema_name` reflects columns with `SELECT * FROM <table>` without the
  schema, which fails with a Catalog Error; the table is read through a query asset instead.
* GX executes a query on a pooled connection, returns the connection to the pool (which rolls
  back) and only then fetches the rows. On DuckDB the rollback discards the pending result, so every
  metric came back empty ("list index out of range") and every expectation "failed". The
  connections handed to SQLAlchemy here ignore begin/commit/rollback: each statement runs in its
  own autocommit transaction, which is all a read-only check needs. Any expectation that raised
  is reported as a `SuiteRunError`, never as an ordinary failure.
"""

from __future__ import annotations

import datetime as dt
import decimal
import json
import logging
import os
import tempfile
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import duckdb

if TYPE_CHECKING:
    import great_expectations as gx

ERROR, WARN = "error", "warn"
SEVERITIES = (ERROR, WARN)
MAX_EXAMPLES = 5
# Example rows GX fetches per failing expectation (with LIMIT), deduplicated down to MAX_EXAMPLES.
_PARTIAL_UNEXPECTED = 20


class SuiteRunError(RuntimeError):
    """An expectation could not be evaluated (bad column, SQL error): the table was not checked."""


@dataclass(frozen=True)
class ExpectationOutcome:
    """The result of one expectation, reduced to what a person needs to act on it."""

    expectation: str  # e.g. "expect_column_values_to_be_unique"
    column: str | None
    severity: str  # "error" (blocks publication) or "warn"
    success: bool
    unexpected_count: int | None
    examples: list  # up to 5 distinct unexpected values, or row keys when the values are null
    message: str  # one sentence, e.g. "raw.events.event_id: 2 rows not unique, e.g. ['e2']"
    keys: list = field(default_factory=list)  # the suite's row_key of up to 5 unexpected rows
    why: str | None = None  # meta.why: the reason the expectation exists and has its severity
    description: str | None = None  # what a SQL expectation's rows are ("with a segment ...")


@dataclass(frozen=True)
class SuiteOutcome:
    """The result of one suite on one table."""

    suite: str
    table: str  # "schema.table"
    rows: int
    outcomes: list[ExpectationOutcome]

    @property
    def failures(self) -> list[ExpectationOutcome]:
        return [o for o in self.outcomes if not o.success]

    @property
    def passed(self) -> bool:
        """True unless an expectation of severity "error" failed."""
        return not any(o.severity == ERROR for o in self.failures)

    def summary(self) -> str:
        """Human text: one headline, then one line per failed expectation."""
        head = f"Suite {self.suite} on {self.table} ({self.rows} rows)"
        failures = self.failures
        if not failures:
            return f"{head}: all {len(self.outcomes)} expectations passed."
        errors = sum(o.severity == ERROR for o in failures)
        verdict = "FAILED" if errors else "passed with warnings"
        lines = [
            f"{head}: {verdict}, {len(failures)} of {len(self.outcomes)} expectations failed "
            f"({errors} error, {len(failures) - errors} warn)."
        ]
        lines += [f"  [{o.severity}] {o.message}" for o in failures]
        return "\n".join(lines)


def load_suite(suite_path: Path) -> "gx.ExpectationSuite":
    """Read a suite JSON file into a GX ExpectationSuite, refusing anything GX would drop.

    GX's ExpectationSuite constructor logs and skips an invalid expectation; here an unknown
    expectation type, a wrong kwarg or a bad `meta.severity` raises a ValueError naming the file.
    """
    gx = _gx()
    from great_expectations.expectations.expectation_configuration import ExpectationConfiguration

    suite_path = Path(suite_path)
    try:
        raw = json.loads(suite_path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise ValueError(f"{suite_path}: cannot read the expectation suite: {exc}") from exc
    if not isinstance(raw, dict) or not isinstance(raw.get("name"), str) or not raw["name"]:
        raise ValueError(f"{suite_path}: a suite is a JSON object with a non-empty 'name'")
    items = raw.get("expectations")
    if not isinstance(items, list) or not items:
        raise ValueError(f"{suite_path}: 'expectations' must be a non-empty list")
    suite_meta = dict(raw.get("meta") or {})
    items = _declared(items, suite_meta)
    row_key = suite_meta.get("row_key", [])
    if not isinstance(row_key, list) or not all(isinstance(c, str) for c in row_key):
        raise ValueError(f"{suite_path}: meta.row_key must be a list of column names")

    configs = []
    for position, item in enumerate(items, start=1):
        where = f"{suite_path}: expectation #{position}"
        if not isinstance(item, dict) or not isinstance(item.get("type"), str):
            raise ValueError(f"{where}: needs a 'type'")
        where += f" ({item['type']})"
        meta = dict(item.get("meta") or {})
        meta.setdefault("severity", ERROR)
        if meta["severity"] not in SEVERITIES:
            raise ValueError(f"{where}: meta.severity must be one of {SEVERITIES}")
        fields = {k: v for k, v in item.items() if k not in ("type", "kwargs", "meta", "id")}
        config = ExpectationConfiguration(
            type=item["type"],
            kwargs=dict(item.get("kwargs") or {}),
            meta=meta,
            # Results are matched back to expectations by id, so every expectation gets one.
            id=item.get("id") or str(uuid.uuid4()),
            **fields,
        )
        try:
            config.to_domain_obj()
        except Exception as exc:  # GX raises ExpectationNotFoundError or a pydantic error
            raise ValueError(f"{where}: {exc}") from exc
        configs.append(config)

    suite = gx.ExpectationSuite(name=raw["name"], expectations=configs, meta=suite_meta)
    if len(suite.expectations) != len(configs):
        raise ValueError(f"{suite_path}: GX rejected some expectations of the suite")
    return suite


def validate_table(
    database: Path, schema: str, table: str, suite_path: Path, *, memory_limit: str | None = None
) -> SuiteOutcome:
    """Run the suite at `suite_path` on `schema.table` of the DuckDB file `database`, as SQL.

    The file is opened read-only and closed again before returning. `memory_limit` (e.g. "1GB")
    caps DuckDB's working memory, beyond which it spills to a temporary directory that is removed
    afterwards; the default is DuckDB's (80% of RAM). Uniqueness is what needs memory: GX counts
    rows per value with a window over the whole column. Raises LookupError when the table does not
    exist and SuiteRunError when an expectation could not be evaluated.
    """
    suite = load_suite(suite_path)
    database = Path(database).resolve()
    if not database.is_file():
        raise FileNotFoundError(f"no DuckDB database at {database}")
    qualified = f"{schema}.{table}"
    row_key = suite.meta.get("row_key", [])

    # Spill files go to a private directory, not to `<database>.tmp` beside the warehouse.
    with tempfile.TemporaryDirectory(prefix="ttv-quality-") as spill:
        config = {"temp_directory": spill}
        if memory_limit:
            config["memory_limit"] = memory_limit
        root = duckdb.connect(str(database), read_only=True, config=config)
        handed_out: list[duckdb.DuckDBPyConnection] = []
        engines: list[Any] = []
        try:
            rows = _row_count(root, schema, table, database)
            # An expectation on a column the table lacks cannot run: it fails, saying so, and GX
            # evaluates the others (a missing required column is bad data, not a broken suite).
            present = _columns(root, schema, table)
            absent = {e.id: [c for c in _columns_of(e.configuration.kwargs) if c not in present]
                      for e in suite.expectations}
            runnable = [e for e in suite.expectations if not absent[e.id]]
            by_id = {}
            if runnable:
                gx = _gx()
                subset = gx.ExpectationSuite(name=suite.name, meta=suite.meta,
                                             expectations=[e.configuration for e in runnable])
                result = _run_suite(subset, database, schema, table, root, handed_out, engines)
                by_id = {r.expectation_config.id: r for r in result.results}
                _raise_if_broken(suite.name, qualified, database, runnable, result, by_id)
            outcomes = []
            for expectation in suite.expectations:
                configuration = expectation.configuration
                if absent[expectation.id]:
                    outcomes.append(_missing_columns_outcome(qualified, configuration,
                                                             absent[expectation.id]))
                    continue
                done = by_id[expectation.id]
                examples = None
                if configuration.type == "unexpected_rows_expectation" and not done.success:
                    examples = _unexpected_rows_examples(root, configuration.kwargs, schema, table)
                outcomes.append(_outcome(qualified, configuration, done.success,
                                         done.result or {}, row_key, examples))
        finally:
            for engine in engines:
                engine.dispose()
            for connection in handed_out:
                connection.close()
            root.close()

    return SuiteOutcome(suite=suite.name, table=qualified, rows=rows, outcomes=outcomes)


def _raise_if_broken(suite_name, qualified, database, runnable, result, by_id) -> None:
    broken = []
    for r in result.results:
        for message in _raised(r.exception_info):
            broken.append(f"{r.expectation_config.type}({_column(r.expectation_config.kwargs)}): "
                          f"{message.strip().splitlines()[0]}")
    missing = [e.expectation_type for e in runnable if e.id not in by_id]
    if broken or missing:
        details = broken + [f"{t}: no result" for t in missing]
        raise SuiteRunError(
            f"suite {suite_name} could not be evaluated on {qualified} in {database}:\n  "
            + "\n  ".join(details)
        )


# ---------------------------------------------------------------------------------------------
# GX plumbing


def _declared(items: list, suite_meta: dict) -> list:
    """A raw table's suite takes its column set and per-column-type expectations from the
    canonical schema (config/schema.yml, `meta.canonical_table`): lib/schema.py fills them in."""
    from dagster_project.lib.schema import declared_expectations

    return declared_expectations(items, suite_meta.get("canonical_table"))


def _gx():
    """Import GX on first use: it takes seconds, and most importers of this module never call it."""
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
    import great_expectations as gx

    # GX logs each temp directory and SQL fallback at INFO/WARNING; the outcome says what matters.
    logging.getLogger("great_expectations").setLevel(logging.ERROR)
    return gx


def _context():
    """A fresh in-memory GX context: no files, no analytics, no progress bars."""
    gx = _gx()
    from great_expectations.data_context.types.base import (
        DataContextConfig,
        InMemoryStoreBackendDefaults,
        ProgressBarsConfig,
    )

    config = DataContextConfig(
        store_backend_defaults=InMemoryStoreBackendDefaults(init_temp_docs_sites=False),
        analytics_enabled=False,
        progress_bars=ProgressBarsConfig(globally=False, metric_calculations=False),
    )
    return gx.get_context(mode="ephemeral", project_config=config)


def _run_suite(suite, database: Path, schema: str, table: str, root, handed_out, engines):
    from duckdb_engine import ConnectionWrapper

    class _AutocommitConnection(ConnectionWrapper):
        """A duckdb_engine connection whose transaction calls are no-ops (see module docstring)."""

        def begin(self) -> None:
            pass

        def commit(self) -> None:
            pass

        def rollback(self) -> None:
            pass

    def connect() -> _AutocommitConnection:
        # A cursor is a further connection to the same read-only database instance.
        connection = root.cursor()
        handed_out.append(connection)
        return _AutocommitConnection(connection)

    context = _context()
    datasource = context.data_sources.add_sql(
        name="duckdb",
        # Only names the dialect: connections come from `creator`, on the read-only instance.
        connection_string=f"duckdb:///{database}?access_mode=read_only",
        kwargs={"creator": connect},
    )
    try:
        asset = datasource.add_query_asset(
            name=table, query=f"select * from {_quote(schema)}.{_quote(table)}"
        )
        batch = asset.add_batch_definition_whole_table("whole_table").get_batch()
        result_format: dict[str, Any] = {
            "result_format": "SUMMARY",
            "partial_unexpected_count": _PARTIAL_UNEXPECTED,
            "return_unexpected_index_query": False,
        }
        if suite.meta.get("row_key"):
            result_format["unexpected_index_column_names"] = list(suite.meta["row_key"])
        return batch.validate(suite, result_format=result_format)
    finally:
        # GX holds two SQLAlchemy engines: the data source's and its execution engine's.
        engines.append(datasource.get_execution_engine().engine)
        engines.append(datasource.get_engine())


def _row_count(root, schema: str, table: str, database: Path) -> int:
    found = root.execute(
        "select count(*) from information_schema.tables where table_schema = ? and table_name = ?",
        [schema, table],
    ).fetchone()[0]
    if not found:
        raise LookupError(f"table {schema}.{table} does not exist in {database}")
    return root.execute(f"select count(*) from {_quote(schema)}.{_quote(table)}").fetchone()[0]


def _quote(identifier: str) -> str:
    return '"' + identifier.replace('"', '""') + '"'


def _raised(exception_info: Any) -> list[str]:
    """Messages of the exceptions GX caught while evaluating one expectation.

    GX reports either one {"raised_exception": ..., "exception_message": ...} dict or a dict of
    such dicts keyed by the metric that failed.
    """
    if not exception_info:
        return []
    if "raised_exception" in exception_info:
        infos = [exception_info]
    else:
        infos = [v for v in exception_info.values() if isinstance(v, dict)]
    return [
        str(info.get("exception_message") or "unknown error")
        for info in infos
        if info.get("raised_exception")
    ]


# ---------------------------------------------------------------------------------------------
# Turning GX results into outcomes


def _column(kwargs: dict) -> str | None:
    columns = _columns_of(kwargs)
    return ", ".join(columns) or None


def _columns_of(kwargs: dict) -> list[str]:
    """The columns an expectation reads (a table-level expectation reads none by name)."""
    if kwargs.get("column") is not None:
        return [str(kwargs["column"])]
    columns = kwargs.get("column_list") or [kwargs.get(k) for k in ("column_A", "column_B")]
    return [str(c) for c in columns if c is not None]


def _columns(root, schema: str, table: str) -> set[str]:
    return {r[0] for r in root.execute(
        "select column_name from information_schema.columns where table_schema = ? "
        "and table_name = ?", [schema, table]).fetchall()}


def _missing_columns_outcome(qualified: str, config, absent: list[str]) -> ExpectationOutcome:
    names = ", ".join(absent)
    return ExpectationOutcome(
        expectation=config.type,
        column=_column(config.kwargs),
        severity=config.meta.get("severity", ERROR),
        success=False,
        unexpected_count=None,
        examples=list(absent),
        message=f"{qualified}: column {names} missing, so {config.type} cannot run",
        why=config.meta.get("why"),
    )


def _unexpected_rows_examples(root, kwargs: dict, schema: str, table: str) -> list:
    """The first MAX_EXAMPLES rows (in sorted order, so that a re-run shows the same) that an
    UnexpectedRowsExpectation's query returns, as its columns say (one column: its values;
    several: one dict per row). `{batch}` is the table, as GX substitutes it."""
    query = str(kwargs["unexpected_rows_query"]).format(batch=f"{_quote(schema)}.{_quote(table)}")
    cursor = root.execute(f"select * from (\n{query}\n) order by all limit {MAX_EXAMPLES}")
    names = [d[0] for d in cursor.description]
    rows = [dict(zip(names, (json_safe(v) for v in row))) for row in cursor.fetchall()]
    return [row[names[0]] for row in rows] if len(names) == 1 else rows


def _outcome(qualified: str, config, success: bool, result: dict, row_key: list[str],
             examples: list | None = None) -> ExpectationOutcome:
    kwargs = config.kwargs
    column = _column(kwargs)
    where = f"{qualified}.{column}" if column and "," not in column else qualified
    if column and "," in column:
        where += f" ({column})"
    unexpected_count = result.get("unexpected_count")
    keys = _keys(result, row_key)
    if examples is None:
        examples = _examples(result, row_key)
    key_note = ""  # where the unexpected values are, when the values are not the keys
    if keys and keys != examples:
        key_note = f" at {row_key[0] + ' ' if len(row_key) == 1 else ''}{_render(keys)}"

    if config.type == "unexpected_rows_expectation":
        # the query returns the offending rows: their number is GX's observed value
        unexpected_count = result.get("observed_value")
        rows = f"{unexpected_count} row{'' if unexpected_count == 1 else 's'}"
        what = config.description or "returned by the query"
        message = f"{where}: ok, no rows {what}" if success else f"{where}: {rows} {what}"
        if examples and not success:
            message += f", e.g. {_render(examples)}"
    elif config.type == "expect_table_columns_to_match_set":
        missing = ((result.get("details") or {}).get("mismatched") or {}).get("missing") or []
        examples = sorted(str(c) for c in missing)
        unexpected_count = len(examples)
        message = (f"{where}: ok, every required column present" if success
                   else f"{where}: missing column(s) {_render(examples)}")
    elif unexpected_count is not None:
        rows = f"{unexpected_count} row{'' if unexpected_count == 1 else 's'}"
        problem = f"{rows} {_problem(config.type, kwargs)}"
        if examples:
            problem += f", e.g. {_render(examples)}{key_note}"
        if success:
            message = (f"{where}: ok, {problem} (within mostly)" if unexpected_count
                       else f"{where}: ok, {config.type} passed")
        else:
            message = f"{where}: {problem}"
    else:  # an aggregate expectation (row count, mean, ...): report what was observed
        observed = result.get("observed_value")
        message = (f"{where}: {config.type} {'passed' if success else 'failed'}"
                   + (f", observed {_render(json_safe(observed))}" if observed is not None else ""))

    return ExpectationOutcome(
        expectation=config.type,
        column=column,
        severity=config.meta.get("severity", ERROR),
        success=bool(success),
        unexpected_count=unexpected_count,
        examples=examples,
        message=message,
        keys=keys if keys != examples else [],
        why=config.meta.get("why"),
        description=config.description,
    )


def _problem(expectation: str, kwargs: dict) -> str:
    if expectation in ("expect_column_values_to_be_unique", "expect_compound_columns_to_be_unique"):
        return "not unique"
    if expectation == "expect_column_values_to_not_be_null":
        return "null"
    if expectation == "expect_column_values_to_be_null":
        return "not null"
    if expectation == "expect_column_values_to_be_in_set":
        return f"not in {_render(list(kwargs.get('value_set') or []))}"
    if expectation == "expect_column_values_to_not_be_in_set":
        return f"in {_render(list(kwargs.get('value_set') or []))}"
    if expectation == "expect_column_values_to_be_between":
        # GX's pydantic model turns 0 into 0.0; the suite said 0.
        low, high = (_number(kwargs.get(k)) for k in ("min_value", "max_value"))
        if low is not None and high is not None:
            return f"outside [{low}, {high}]"
        if low is not None:
            return f"below {low}"
        return f"above {high}"
    return f"unexpected for {expectation}"


def _number(value: Any) -> Any:
    return int(value) if isinstance(value, float) and value.is_integer() else value


def _examples(result: dict, row_key: list[str]) -> list:
    """Up to MAX_EXAMPLES distinct unexpected values; for null values, the rows' keys instead."""
    values = [json_safe(v) for v in result.get("partial_unexpected_list") or [] if v is not None]
    if not values and row_key:
        keys = []
        for row in result.get("partial_unexpected_index_list") or []:
            key = {c: json_safe(row.get(c)) for c in row_key}
            keys.append(key[row_key[0]] if len(row_key) == 1 else key)
        values = keys
    distinct: list = []
    for value in values:
        if value not in distinct:
            distinct.append(value)
        if len(distinct) == MAX_EXAMPLES:
            break
    return distinct


def _keys(result: dict, row_key: list[str]) -> list:
    """The row keys (suite meta.row_key) of up to MAX_EXAMPLES unexpected rows, distinct."""
    keys: list = []
    for row in result.get("partial_unexpected_index_list") or []:
        if not isinstance(row, dict) or not row_key:
            continue
        key = {c: json_safe(row.get(c)) for c in row_key}
        key = key[row_key[0]] if len(row_key) == 1 else key
        if key not in keys:
            keys.append(key)
        if len(keys) == MAX_EXAMPLES:
            break
    return keys


def json_safe(value: Any) -> Any:
    """Dates as ISO text, decimals as floats, the rest as text: examples read well and are JSON."""
    if isinstance(value, dt.datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        return float(value)
    if isinstance(value, (list, tuple)):
        return [json_safe(v) for v in value]
    if isinstance(value, dict):
        return {k: json_safe(v) for k, v in value.items()}
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    return str(value)  # intervals, UUIDs, blobs: shown as text


def _render(value: Any) -> str:
    return repr(value)


# ---------------------------------------------------------------------------------------------
# Checks that GX cannot express: against the previously published warehouse, and the as-of date.
# They report as a SuiteOutcome too, so a Dagster check and `make run` show them like the suites.

VOLUME_SUITE, REACHED_SUITE, FRESHNESS_SUITE = "volume", "milestones_reached", "freshness"


def _count(con, schema: str, table: str) -> int | None:
    """Rows of `schema.table` in an open warehouse, None when it has no such table. A published
    warehouse keeps no raw tables: their loaded rows are the sum of raw.landed_files."""
    found = con.execute("select count(*) from duckdb_tables() where schema_name = ? "
                        "and table_name = ?", [schema, table]).fetchone()[0]
    if found:
        return con.execute(f"select count(*) from {_quote(schema)}.{_quote(table)}").fetchone()[0]
    if schema == "raw" and con.execute(
            "select count(*) from duckdb_tables() where schema_name = 'raw' "
            "and table_name = 'landed_files'").fetchone()[0]:
        return con.execute("select coalesce(sum(rows_loaded), 0)::bigint from raw.landed_files "
                           "where table_name = ?", [table]).fetchone()[0]
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
    tables = con.execute("select distinct table_name from duckdb_columns() where schema_name = "
                         "'marts' and column_name = 'as_of_date' order by 1").fetchall()
    dates = [con.execute(f'select max(as_of_date) from marts."{t}"').fetchone()[0]
             for (t,) in tables]
    dates = [d for d in dates if d is not None]
    return max(dates) if dates else None


def compare_volume(working: Path, published: Path, tables: list[tuple[str, str]], *,
                   max_shrink: float, accepted: set[str],
                   as_of: dt.date | None = None) -> list[SuiteOutcome]:
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
            shrunk = previous is not None and previous > 0 and (
                now == 0 or (previous - now) / previous > max_shrink)
            severity = WARN if shrunk and is_accepted(name, accepted) else ERROR
            if previous is None:
                message = f"{name}: {now} rows, no published table to compare with" + (
                    f" as of {as_of.isoformat()} (published as of {before_as_of.isoformat()})"
                    if before_as_of and as_of and before_as_of > as_of else "")
            elif not shrunk:
                message = f"{name}: {now} rows, the published warehouse has {previous}"
            else:
                share = round(100 * (previous - now) / previous)
                message = (f"{name}: {now} rows, the published warehouse has {previous} "
                           f"({'now empty' if now == 0 else f'{share}% fewer'}, more than "
                           f"the {max_shrink:.0%} allowed)")
                message += ("; accepted by TTV_ACCEPT_VOLUME_CHANGE" if severity == WARN else
                            f". If the change is intended, run again with "
                            f"TTV_ACCEPT_VOLUME_CHANGE={name}")
            outcomes.append(SuiteOutcome(VOLUME_SUITE, name, now, [ExpectationOutcome(
                expectation="volume_against_published", column=None, severity=severity,
                success=not shrunk, unexpected_count=None,
                examples=[] if previous is None else [previous, now], message=message,
                why="a truncated or empty export must not replace yesterday's numbers "
                    "(issue 9): the previous warehouse stays published until the change "
                    "is accepted")]))
    finally:
        if before:
            before.close()
    return outcomes


def compare_reached(working: Path, published: Path, schema: str, table: str,
                    accepted: set[str] = frozenset()) -> SuiteOutcome:
    """Milestones that some account reached in the published warehouse and none reaches now
    (a `milestone` column and a `reached_at` column): a renamed event or CRM field, an export
    that lost a column. Severity error, unless `accepted` names the table (a warning then)."""
    query = (f"select milestone, count(reached_at) from {_quote(schema)}.{_quote(table)} "
             "group by milestone")
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
    message = (f"{name}: {len(lost)} milestone{'' if len(lost) == 1 else 's'} reached by no "
               "account, reached before: " + ", ".join(
                   f"{m} (published: {previous[m]} accounts)" for m in lost)
               + ("; accepted by TTV_ACCEPT_VOLUME_CHANGE" if severity == WARN else
                  "; check the catalogue (config/ttv.yml) and the exports, or accept with "
                  f"TTV_ACCEPT_VOLUME_CHANGE={name}")
               if lost else f"{name}: every milestone reached before is still reached")
    return SuiteOutcome(REACHED_SUITE, name, sum(now.values()), [ExpectationOutcome(
        expectation="milestones_still_reached", column="milestone", severity=severity,
        success=not lost, unexpected_count=len(lost), examples=lost, message=message,
        why="a milestone that every account loses at once is a renamed event or field, not "
            "customer behaviour (issue 9)")])


# The newest fact of each canonical table: what "fresh" means for its sources.
FACT_TIMESTAMPS = {
    "events": ("occurred_at",),
    "accounts": ("created_at", "churned_at"),
    "contracts": ("signed_at",),
    "onboarding": ("kickoff_at", "access_provisioned_at", "configuration_completed_at",
                   "data_migrated_at", "training_completed_at", "first_production_use_at",
                   "value_confirmed_at", "full_value_at"),
}


def newest_facts(working: Path, as_of: dt.date) -> dict[str, dt.date | None]:
    """The newest fact dated on or before as-of (00:00 UTC), per source of the raw tables."""
    newest: dict[str, dt.date | None] = {}
    cutoff = dt.datetime.combine(as_of, dt.time())
    with duckdb.connect(str(working), read_only=True) as con:
        present = {r[0] for r in con.execute(
            "select table_name from duckdb_tables() where schema_name = 'raw'").fetchall()}
        for table, columns in FACT_TIMESTAMPS.items():
            if table not in present:
                continue
            latest = "greatest(" + ", ".join(
                f"max(case when {c} <= ? then {c} end)" for c in columns) + ")"
            for source, value in con.execute(
                    f"select _source, {latest} from raw.{table} group by _source",
                    [cutoff] * len(columns)).fetchall():
                day = value.date() if value else None
                if source not in newest or (day and (newest[source] is None or day > newest[source])):
                    newest[source] = day
    return newest


def check_freshness(working: Path, as_of: dt.date, max_days: int) -> SuiteOutcome:
    """A warning when a source's newest fact is more than `max_days` days before as-of (a
    stale export, or an as-of date far past the data: every account looks more overdue)."""
    newest = newest_facts(working, as_of)
    stale = {s: d for s, d in newest.items() if d is None or (as_of - d).days > max_days}
    listing = ", ".join(f"{s} {d.isoformat() if d else 'none'}" for s, d in sorted(newest.items()))
    if stale:
        message = (f"{len(stale)} source{'' if len(stale) == 1 else 's'} with nothing in the "
                   f"{max_days} days before as-of {as_of.isoformat()}: "
                   + ", ".join(f"{s} (newest {d.isoformat() if d else 'none'}"
                               f"{f', {(as_of - d).days} days before' if d else ''})"
                               for s, d in sorted(stale.items()))
                   + "; is an export missing, or should TTV_AS_OF be earlier?"
                   + (f" (fresh: {', '.join(f'{s} {d.isoformat()}' for s, d in sorted(newest.items()) if s not in stale)})"
                      if len(stale) < len(newest) else ""))
    else:
        message = f"newest fact per source: {listing or 'no sources loaded'}"
    return SuiteOutcome(FRESHNESS_SUITE, "raw.*", len(newest), [ExpectationOutcome(
        expectation="newest_fact_within_days", column=None, severity=WARN, success=not stale,
        unexpected_count=len(stale),
        examples=[{"source": s, "newest": d.isoformat() if d else None}
                  for s, d in sorted(stale.items())],
        message=message,
        why="durations run to as-of: with exports days behind it, accounts look more overdue "
            "every day; reported, not blocking, as a quiet weekend is possible")])


def unknown_events_outcome(unknown: list) -> SuiteOutcome:
    """The catalogue's events missing from the loaded events (lib/catalogue.py,
    events_not_in_data): a milestone's with a near loaded name is an error (a misspelling: it
    would be reached by no account, without a word); the others are warnings (UnknownEvent)."""
    outcomes = [ExpectationOutcome(
        expectation="catalogue_event_occurs", column="event_name",
        severity=ERROR if u.is_error else WARN, success=False,
        unexpected_count=1, examples=[u.event_name], message=f"config.{u.table}: {u.message}",
        why="a misspelt event name silently leaves its milestone reached by no account "
            "(issue 9); fix config/ttv.yml") for u in unknown]
    if not outcomes:
        outcomes = [ExpectationOutcome(
            expectation="catalogue_event_occurs", column="event_name", severity=ERROR,
            success=True, unexpected_count=0, examples=[],
            message="every event the catalogue names occurs in the loaded events")]
    return SuiteOutcome("catalogue_events", "config.*", len(unknown), outcomes)
