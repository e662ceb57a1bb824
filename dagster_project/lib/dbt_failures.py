"""What a failed (or warning) dbt test found: how many rows and a few example keys.

dbt reports a failing test as a count; with `store_failures` (dbt_project.yml) it also keeps the
failing rows in a table of schema `test_failures` of the working file, which is never published
(lib/publish.py copies marts, quarantine and config). Once dbt has exited and released the file,
the first rows of that table are read, read-only, and shown by the tested model's key columns:
its own unique tests in the manifest, else its Great Expectations suite's `meta.row_key` (a
mart's grain is checked by its suite alone: README, "Each fact checked once").
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import duckdb

from dagster_project.lib.quality import json_safe

MAX_EXAMPLES = 5


@dataclass(frozen=True)
class TestFailure:
    """One dbt test that did not pass."""

    unique_id: str
    name: str
    status: str  # fail, warn or error
    failures: int | None
    examples: list
    message: str  # one sentence for the run's output and the check's description


def explain(
    run_results: dict, database: Path, manifest: dict, expectations_dir: Path | None = None
) -> dict[str, TestFailure]:
    """Every test of `run_results` that failed, warned or errored, by unique_id, with examples
    from its stored failures in `database`. `expectations_dir` holds the GX suites whose
    `meta.row_key` names a mart's key columns (default: the project's expectations/)."""
    results = [
        r
        for r in run_results.get("results", [])
        if r["unique_id"].startswith(("test.", "unit_test."))
        and r.get("status") in ("fail", "warn", "error")
    ]
    if not results:
        return {}
    if expectations_dir is None:
        from dagster_project.paths import EXPECTATIONS_DIR as expectations_dir
    nodes = manifest.get("nodes", {})
    explained = {}
    con = duckdb.connect(str(database), read_only=True) if Path(database).is_file() else None
    try:
        for result in results:
            unique_id = result["unique_id"]
            node = nodes.get(unique_id, {})
            name = node.get("name") or unique_id.split(".")[2]
            examples = []
            if con is not None and result["status"] != "error" and node.get("alias"):
                keys = key_columns(manifest, node.get("attached_node"), expectations_dir)
                examples = _examples(
                    con, node["schema"], node["alias"], keys + [node.get("column_name") or ""]
                )
            explained[unique_id] = TestFailure(
                unique_id,
                name,
                result["status"],
                result.get("failures"),
                examples,
                _message(name, result, examples),
            )
    finally:
        if con is not None:
            con.close()
    return explained


def key_columns(manifest: dict, model_id: str | None, expectations_dir: Path) -> list[str]:
    """The columns that identify a row of a model: those of its unique and unique_combination
    tests in the manifest, else the `meta.row_key` of the GX suite named like the model."""
    if not model_id:
        return []
    keys: list[str] = []
    for node in manifest.get("nodes", {}).values():
        metadata = node.get("test_metadata") or {}
        if node.get("attached_node") != model_id or metadata.get("name") not in (
            "unique",
            "unique_combination",
        ):
            continue
        kwargs = metadata.get("kwargs") or {}
        keys += [
            c for c in kwargs.get("columns") or [kwargs.get("column_name")] if c and c not in keys
        ]
    suite = Path(expectations_dir) / f"{manifest['nodes'].get(model_id, {}).get('name')}.json"
    if not keys and suite.is_file():
        keys = json.loads(suite.read_text(encoding="utf-8")).get("meta", {}).get("row_key", [])
    return keys


def _examples(con, schema: str, table: str, wanted: list[str]) -> list:
    try:
        cursor = con.execute(
            f'select * from "{schema}"."{table}" order by all limit {MAX_EXAMPLES}'
        )
    except duckdb.Error:
        return []  # no stored failures (a test without them): the count stands alone
    names = [d[0] for d in cursor.description]
    shown = [n for n in names if n in wanted] or names[:4]
    examples = []
    for row in cursor.fetchall():
        values = dict(zip(names, row, strict=False))
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
