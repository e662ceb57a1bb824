"""Publication: the last step of write-audit-publish.

The run has loaded, built and checked everything in its working file (`lib/warehouse.py`).
Publishing copies the analyst tables out of it into a new DuckDB file beside the published one,
makes that file durable, then renames it over the published path with one `os.replace`. A reader
opening the warehouse gets the old file or the new one, never a mix; a reader that already has it
open keeps reading the old file (on Linux an open file outlives its name) until it reconnects.
A run that stops anywhere before the rename leaves the published file untouched, byte for byte.
"""

from __future__ import annotations

import fcntl
import os
import time
import uuid
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import duckdb

from dagster_project import paths
from dagster_project.lib.sql import ident, literal

# What analysts get (README, "Publication and checks"): every table of these schemas, plus the
# per-file load accounting. raw.* stays in the working file: it is the incremental load state,
# large, and not part of the contract (SPEC §4); staging and intermediate are views over it.
PUBLISHED_SCHEMAS = ("marts", "quarantine", "config")
PUBLISHED_TABLES = (("raw", "landed_files"),)
TEMPORARY_PREFIX = "publishing-"


@dataclass(frozen=True)
class Publication:
    """What one publication wrote."""

    path: Path
    tables: dict[str, int]  # "schema.table" -> rows
    size_bytes: int
    seconds: float


def tables_to_publish(con: duckdb.DuckDBPyConnection, catalog: str) -> list[tuple[str, str]]:
    """The (schema, table) pairs of the attached working file `catalog` that are published."""
    rows = con.execute(
        "select schema_name, table_name from duckdb_tables() where database_name = ? "
        "union select schema_name, view_name from duckdb_views() where database_name = ? "
        "and not internal order by 1, 2",
        [catalog, catalog],
    ).fetchall()
    wanted = set(PUBLISHED_TABLES)
    return [(s, t) for s, t in rows if s in PUBLISHED_SCHEMAS or (s, t) in wanted]


def publish(working: Path, published: Path) -> Publication:
    """Copy the analyst tables of `working` into a new file and rename it over `published`.

    Raises LookupError when the working file lacks a mart (nothing is published then).
    """
    started = time.monotonic()
    working, published = Path(working).resolve(), Path(published).resolve()
    build = paths.build_dir(published)
    build.mkdir(parents=True, exist_ok=True)
    published.parent.mkdir(parents=True, exist_ok=True)
    with _exclusive(build / "publish.lock"):
        # A run killed while publishing left its new file behind: it was never renamed, drop it.
        for stale in build.glob(f"{TEMPORARY_PREFIX}*"):
            stale.unlink(missing_ok=True)
        new = build / f"{TEMPORARY_PREFIX}{uuid.uuid4().hex}.duckdb"
        try:
            tables = _copy(working, new)
            _fsync(new)
            os.replace(new, published)
        except BaseException:
            new.unlink(missing_ok=True)
            new.with_name(new.name + ".wal").unlink(missing_ok=True)
            raise
        _fsync(published.parent)  # the rename itself survives a power cut
    return Publication(
        published, tables, published.stat().st_size, round(time.monotonic() - started, 3)
    )


def _copy(working: Path, new: Path) -> dict[str, int]:
    con = duckdb.connect(str(new))
    try:
        con.execute(f"attach {literal(str(working))} as work (read_only)")
        tables = tables_to_publish(con, "work")
        if not any(schema == "marts" for schema, _ in tables):
            raise LookupError(f"no marts tables in {working}: nothing to publish")
        counts = {}
        for schema, table in tables:
            name = f"{ident(schema)}.{ident(table)}"
            con.execute(f"create schema if not exists {ident(schema)}")
            # CTAS keeps the column types and, with DuckDB's preserved insertion order, the rows'
            # order: a republished table is the same table.
            con.execute(f"create table {name} as select * from work.{name}")
            counts[f"{schema}.{table}"] = con.execute(f"select count(*) from {name}").fetchone()[0]
        _copy_comments(con, "work", tables)
        con.execute("detach work")
        con.execute("checkpoint")
    finally:
        con.close()
    return counts


def _copy_comments(
    con: duckdb.DuckDBPyConnection, catalog: str, tables: list[tuple[str, str]]
) -> None:
    """CTAS copies no comments: re-apply each table's and column's description (dbt's
    persist_docs, the catalogue's) so a SQL client shows it in the published file (SPEC §4.1)."""
    wanted = set(tables)
    for schema, table, comment in con.execute(
        "select schema_name, table_name, comment from duckdb_tables()"
        " where database_name = ? and comment is not null",
        [catalog],
    ).fetchall():
        if (schema, table) in wanted:
            con.execute(f"comment on table {ident(schema)}.{ident(table)} is {literal(comment)}")
    for schema, table, column, comment in con.execute(
        "select schema_name, table_name, column_name, comment from duckdb_columns()"
        " where database_name = ? and comment is not null",
        [catalog],
    ).fetchall():
        if (schema, table) in wanted:
            con.execute(
                f"comment on column {ident(schema)}.{ident(table)}.{ident(column)}"
                f" is {literal(comment)}"
            )


@contextmanager
def _exclusive(lock_path: Path):
    """One publisher at a time (two runs would otherwise clear each other's new file)."""
    with open(lock_path, "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
