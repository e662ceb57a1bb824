"""Connections to the DuckDB warehouse file the run writes."""

import duckdb

from dagster_project import paths


def connect_for_write() -> duckdb.DuckDBPyConnection:
    """A read-write connection to the run's warehouse file; close it before dbt runs."""
    path = paths.warehouse_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect(str(path))
    con.execute("set TimeZone = 'UTC'")
    return con
