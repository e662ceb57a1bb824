"""Validate a DuckDB table against a Great Expectations suite kept as JSON in `expectations/`.

A suite is the GX 1.x serialized `ExpectationSuite` (`name`, `meta`, `expectations` with `type`,
`kwargs`), hand-written and committed. Each expectation uses GX's own fields: `severity`
"critical" (GX's default) blocks publication, "warning" is reported only; `notes`, the reason it
exists and has that severity. The suite's `meta.table` names the table it guards and its
`meta.row_key` (optional) the columns that identify a row; failures of expectations whose
unexpected values say nothing (a null is a null) are illustrated by those keys.

Failures come back as sentences with the number of rows, a few values and the rows' keys. An
expectation on a column the table lacks fails, naming the column, instead of breaking the suite;
`unexpected_rows_expectation` (SQL returning the offending rows; `description` says what they
are) shows its first rows as examples.
The checks GX cannot express (against the published warehouse, the catalogue, the calendar)
are in lib/audits.py.

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

from dagster_project.lib.sql import ident

if TYPE_CHECKING:
    import great_expectations as gx

# What a failure does to publication, in the words of the run's output and the checks' metadata.
ERROR, WARN = "error", "warn"
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
    why: str | None = None  # GX notes: the reason the expectation exists and has its severity
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


def load_suite(suite_path: Path) -> gx.ExpectationSuite:
    """Read a suite JSON file into a GX ExpectationSuite, refusing anything GX would drop.

    GX's ExpectationSuite constructor logs and skips an invalid expectation; here an unknown
    expectation type, a wrong kwarg or severity, or the former `meta.severity` / `meta.why`
    (now GX's `severity` and `notes`) raises a ValueError naming the file and the expectation.
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
        former = sorted({"severity", "why"} & set(item.get("meta") or {}))
        if former:
            raise ValueError(
                f"{where}: meta.{' and meta.'.join(former)} are GX's own "
                "`severity` ('critical' or 'warning') and `notes` now"
            )
        try:
            # Results are matched back to expectations by id, so every expectation gets one.
            config = ExpectationConfiguration(**{**item, "id": item.get("id") or str(uuid.uuid4())})
            config.to_domain_obj()
        except Exception as exc:  # GX raises ExpectationNotFoundError, ValueError or pydantic's
            raise ValueError(f"{where}: {exc}") from exc
        configs.append(config)

    suite = gx.ExpectationSuite(name=raw["name"], expectations=configs, meta=suite_meta)
    if len(suite.expectations) != len(configs):
        raise ValueError(f"{suite_path}: GX rejected some expectations of the suite")
    return suite


def severity(config) -> str:
    """ERROR for GX's "critical" severity (blocks publication), WARN for "warning" and "info"."""
    from great_expectations.expectations.metadata_types import FailureSeverity

    return ERROR if config.severity == FailureSeverity.CRITICAL else WARN


def _notes(config) -> str | None:
    """The expectation's GX `notes` (a string or a list of them) as one text: why it exists."""
    notes = config.notes
    return " ".join(notes) if isinstance(notes, list) else notes


def suite_table(suite_path: Path) -> tuple[str, str]:
    """(schema, table) that the suite at `suite_path` guards: its `meta.table`, "schema.table"."""
    suite_path = Path(suite_path)
    try:
        table = (json.loads(suite_path.read_text(encoding="utf-8")).get("meta") or {}).get("table")
    except (OSError, json.JSONDecodeError) as exc:
        raise ValueError(f"{suite_path}: cannot read the expectation suite: {exc}") from exc
    if not isinstance(table, str) or table.count(".") != 1:
        raise ValueError(f"{suite_path}: meta.table must name the guarded table as schema.table")
    schema, name = table.split(".")
    return schema, name


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
            absent = {
                e.id: [c for c in _columns_of(e.configuration.kwargs) if c not in present]
                for e in suite.expectations
            }
            runnable = [e for e in suite.expectations if not absent[e.id]]
            by_id = {}
            if runnable:
                gx = _gx()
                subset = gx.ExpectationSuite(
                    name=suite.name,
                    meta=suite.meta,
                    expectations=[e.configuration for e in runnable],
                )
                result = _run_suite(subset, database, schema, table, root, handed_out, engines)
                by_id = {r.expectation_config.id: r for r in result.results}
                _raise_if_broken(suite.name, qualified, database, runnable, result, by_id)
            outcomes = []
            for expectation in suite.expectations:
                configuration = expectation.configuration
                if absent[expectation.id]:
                    outcomes.append(
                        _missing_columns_outcome(qualified, configuration, absent[expectation.id])
                    )
                    continue
                done = by_id[expectation.id]
                examples = None
                if configuration.type == "unexpected_rows_expectation" and not done.success:
                    examples = _unexpected_rows_examples(root, configuration.kwargs, schema, table)
                outcomes.append(
                    _outcome(
                        qualified, configuration, done.success, done.result or {}, row_key, examples
                    )
                )
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
            broken.append(
                f"{r.expectation_config.type}({_column(r.expectation_config.kwargs)}): "
                f"{message.strip().splitlines()[0]}"
            )
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
    """What a suite takes from the one declaration of a fact: a raw table's column set and
    per-column-type expectations from the canonical schema (config/schema.yml,
    `meta.canonical_table`; lib/schema.py fills them in), and the TTV bands of a value_set that
    says "$ttv_bands" from dbt_project.yml."""
    from dagster_project.lib.dbt_manifest import ttv_bands
    from dagster_project.lib.schema import declared_expectations

    # a value_set may say "$ttv_bands": the bands dbt_project.yml declares, in order
    def bands(value):
        if isinstance(value, list) and "$ttv_bands" in value:
            return [v for item in value for v in (ttv_bands() if item == "$ttv_bands" else [item])]
        return value

    items = [
        {**item, "kwargs": {k: bands(v) for k, v in item["kwargs"].items()}}
        if isinstance(item, dict) and isinstance(item.get("kwargs"), dict)
        else item
        for item in items
    ]
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
            name=table, query=f"select * from {ident(schema)}.{ident(table)}"
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
    return root.execute(f"select count(*) from {ident(schema)}.{ident(table)}").fetchone()[0]


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
    return {
        r[0]
        for r in root.execute(
            "select column_name from information_schema.columns where table_schema = ? "
            "and table_name = ?",
            [schema, table],
        ).fetchall()
    }


def _missing_columns_outcome(qualified: str, config, absent: list[str]) -> ExpectationOutcome:
    names = ", ".join(absent)
    return ExpectationOutcome(
        expectation=config.type,
        column=_column(config.kwargs),
        severity=severity(config),
        success=False,
        unexpected_count=None,
        examples=list(absent),
        message=f"{qualified}: column {names} missing, so {config.type} cannot run",
        why=_notes(config),
    )


def _unexpected_rows_examples(root, kwargs: dict, schema: str, table: str) -> list:
    """The first MAX_EXAMPLES rows (in sorted order, so that a re-run shows the same) that an
    UnexpectedRowsExpectation's query returns, as its columns say (one column: its values;
    several: one dict per row). `{batch}` is the table, as GX substitutes it."""
    query = str(kwargs["unexpected_rows_query"]).format(batch=f"{ident(schema)}.{ident(table)}")
    cursor = root.execute(f"select * from (\n{query}\n) order by all limit {MAX_EXAMPLES}")
    names = [d[0] for d in cursor.description]
    rows = [
        dict(zip(names, (json_safe(v) for v in row), strict=False)) for row in cursor.fetchall()
    ]
    return [row[names[0]] for row in rows] if len(names) == 1 else rows


def _outcome(
    qualified: str,
    config,
    success: bool,
    result: dict,
    row_key: list[str],
    examples: list | None = None,
) -> ExpectationOutcome:
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
        message = (
            f"{where}: ok, every required column present"
            if success
            else f"{where}: missing column(s) {_render(examples)}"
        )
    elif unexpected_count is not None:
        rows = f"{unexpected_count} row{'' if unexpected_count == 1 else 's'}"
        problem = f"{rows} {_problem(config.type, kwargs)}"
        if examples:
            problem += f", e.g. {_render(examples)}{key_note}"
        if success:
            message = (
                f"{where}: ok, {problem} (within mostly)"
                if unexpected_count
                else f"{where}: ok, {config.type} passed"
            )
        else:
            message = f"{where}: {problem}"
    else:  # an aggregate expectation (row count, mean, ...): report what was observed
        observed = result.get("observed_value")
        message = f"{where}: {config.type} {'passed' if success else 'failed'}" + (
            f", observed {_render(json_safe(observed))}" if observed is not None else ""
        )

    return ExpectationOutcome(
        expectation=config.type,
        column=column,
        severity=severity(config),
        success=bool(success),
        unexpected_count=unexpected_count,
        examples=examples,
        message=message,
        keys=keys if keys != examples else [],
        why=_notes(config),
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
    if not values:
        return _keys(result, row_key)
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
