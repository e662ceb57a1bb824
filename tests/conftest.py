"""Shared fixtures: build a real warehouse from a landing zone with the real Dagster job."""

from pathlib import Path

import duckdb
import pytest

FIXTURES = Path(__file__).parent / "fixtures"
SMALL_LANDING = FIXTURES / "landing_small"
SMALL_AS_OF = "2026-06-01"


def build_warehouse(monkeypatch, landing_dir: Path, warehouse: Path, as_of: str):
    """Run the daily job (ingest, dbt build, checks) on a landing zone; return the outcome."""
    from dagster_project.run import run_daily

    monkeypatch.setenv("TTV_LANDING_DIR", str(landing_dir))
    monkeypatch.setenv("TTV_WAREHOUSE", str(warehouse))
    monkeypatch.setenv("TTV_AS_OF", as_of)
    return run_daily(as_of)


@pytest.fixture(scope="session")
def small_run(tmp_path_factory):
    """The hand-made landing zone built as of 2026-06-01 (see tests/test_end_to_end.py):
    the published warehouse's path and the run's outcome."""
    with pytest.MonkeyPatch.context() as monkeypatch:
        warehouse = tmp_path_factory.mktemp("small") / "warehouse.duckdb"
        outcome = build_warehouse(monkeypatch, SMALL_LANDING, warehouse, SMALL_AS_OF)
        assert outcome.success, "\n".join(outcome.lines)
    return warehouse, outcome


@pytest.fixture(scope="session")
def built_small_warehouse(small_run) -> Path:
    return small_run[0]


def query(warehouse: Path, sql: str, params=None) -> list[tuple]:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return con.execute(sql, params or []).fetchall()


# Once Great Expectations has loaded its SQLAlchemy dialect for DuckDB, duckdb's bindings print
# "nanobind: leaked N instances" at interpreter shutdown (module-level type constants still
# referenced while modules are torn down); nothing leaks while running. Exit right after pytest
# has reported, so its summary stays the last line of the output.
_exit_status = {}


def pytest_sessionfinish(session, exitstatus):
    _exit_status["code"] = int(exitstatus)


def pytest_unconfigure(config):
    if "code" in _exit_status and not config.pluginmanager.hasplugin("xdist"):
        import os
        import sys

        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(_exit_status["code"])
