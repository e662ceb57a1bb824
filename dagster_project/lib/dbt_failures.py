"""What a failed (or warning) dbt test found: how many rows and a few example keys.

dbt reports a failing test as a count. To say which rows, the test's compiled SQL (in
run_results.json) is run again with a LIMIT on the working file, read-only, once dbt has exited
and released it; the key-like columns of the first rows are the examples.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import duckdb

from dagster_project.lib.quality import json_safe

MAX_EXAMPLES = 5
# Columns that identify a row: of a per-account model (an id, plus the milestone or journey
# step within the account), of an aggregate mart, and of dbt's generic tests' own output.
ENTITY_IDS = ("account_id", "contract_id", "event_id")
WITHIN_ENTITY = ("milestone", "journey", "step")
KEY_COLUMNS = ("journey", "step", "segment", "period_grain", "cohort_period", "dimension",
               "dimension_value", "ttv_band", "unique_field", "value_field", "from_field",
               "n_records", "rows_with_this_key")


@dataclass(frozen=True)
class TestFailure:
    """One dbt test that did not pass."""

    unique_id: str
    name: str
    status: str  # fail, warn or error
    failures: int | None
    examples: list
    message: str  # one sentence for the run's output and the check's description


def explain(run_results: dict, database: Path,
            manifest: dict | None = None) -> dict[str, TestFailure]:
    """Every test of `run_results` that failed, warned or errored, by unique_id, with examples."""
    results = [r for r in run_results.get("results", [])
               if r["unique_id"].startswith(("test.", "unit_test."))
               and r.get("status") in ("fail", "warn", "error")]
    if not results:
        return {}
    nodes = (manifest or {}).get("nodes", {})
    explained = {}
    con = duckdb.connect(str(database), read_only=True) if Path(database).is_file() else None
    try:
        for result in results:
            unique_id = result["unique_id"]
            name = unique_id.split(".")[2] if unique_id.count(".") >= 2 else unique_id
            examples = []
            if con is not None and result["status"] != "error" and unique_id.startswith("test."):
                examples = _examples(con, result.get("compiled_code") or "",
                                     _tested_column(nodes.get(unique_id, {})))
            explained[unique_id] = TestFailure(
                unique_id, name, result["status"], result.get("failures"), examples,
                _message(name, result, examples))
    finally:
        if con is not None:
            con.close()
    return explained


def _tested_column(node: dict) -> str | None:
    return ((node.get("test_metadata") or {}).get("kwargs") or {}).get("column_name")


def _examples(con, compiled_sql: str, tested_column: str | None) -> list:
    if not compiled_sql.strip():
        return []
    try:
        # newlines: the test's SQL may end in a -- comment
        cursor = con.execute(f"select * from (\n{compiled_sql}\n) as failing limit {MAX_EXAMPLES}")
    except duckdb.Error:
        return []  # the examples are a courtesy; the count stands without them
    names = [d[0] for d in cursor.description]
    if any(n in ENTITY_IDS for n in names):
        shown = [n for n in names if n in ENTITY_IDS or n in WITHIN_ENTITY or n == tested_column]
    else:
        shown = [n for n in names if n in KEY_COLUMNS or n == tested_column] or names[:4]
    examples = []
    for row in cursor.fetchall():
        values = dict(zip(names, row))
        example = {n: json_safe(values[n]) for n in shown}
        examples.append(example[shown[0]] if len(shown) == 1 else example)
    return examples


def _message(name: str, result: dict, examples: list) -> str:
    if result["status"] == "error":
        first = (result.get("message") or "error").strip().splitlines()[0]
        return f"dbt test {name} could not run: {first}"
    failures = result.get("failures")
    rows = f"{failures} row{'' if failures == 1 else 's'}" if failures is not None else "rows"
    text = f"dbt test {name}: {rows} failing"
    return text + (f", e.g. {examples!r}" if examples else "")
