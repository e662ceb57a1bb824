"""The run's working DuckDB file: connections for the steps that write it, and its build state.

Every step writes `paths.working_warehouse_path()` (`<warehouse>.build/<warehouse file name>`), never the
published file analysts read; `lib/publish.py` copies the audited analyst tables out of it. The
working file is kept from run to run: its raw tables are loaded incrementally.

The build state says whether the working file is one complete dbt build of what is loaded in it:
a write connection clears it, a successful dbt build sets it, and publication requires it. So a
partial run (ingest only, a dbt build that failed halfway) can never be published.
"""

import json
import os
import time
from pathlib import Path

import duckdb

from dagster_project import paths

BUILT_FILE = "built.json"
# Test hook, see pause_point(): which named point to pause at, and for how long.
PAUSE_ENV, PAUSE_SECONDS_ENV = "TTV_TEST_PAUSE_AT", "TTV_TEST_PAUSE_SECONDS"
_write_connections = 0


def connect_for_write() -> duckdb.DuckDBPyConnection:
    """A read-write connection to the run's working file; close it before dbt runs.

    Clears the build state first: once anything is written, the working file is no longer the
    complete build that was checked, until dbt has built it again.
    """
    global _write_connections
    path = paths.working_warehouse_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    clear_built()
    con = duckdb.connect(str(path), config={"memory_limit": paths.duckdb_memory_limit()})
    con.execute("set TimeZone = 'UTC'")
    con.execute("set enable_progress_bar = false")
    _write_connections += 1
    if _write_connections == 2:  # one load has committed in this run, the next is about to write
        pause_point("load")
    return con


def built_path() -> Path:
    return paths.build_dir() / BUILT_FILE


def mark_built(as_of: str, run_id: str) -> None:
    """Record that dbt built every model of the working file as of `as_of` in run `run_id`."""
    target = built_path()
    target.parent.mkdir(parents=True, exist_ok=True)
    temporary = target.with_suffix(".tmp")
    built_at = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    temporary.write_text(json.dumps({"as_of": as_of, "run_id": run_id, "built_at": built_at}))
    os.replace(temporary, target)


def read_built() -> dict | None:
    """The build state ({"as_of", "run_id", "built_at"}), or None: not a complete build."""
    try:
        return json.loads(built_path().read_text())
    except (FileNotFoundError, json.JSONDecodeError):
        return None


def clear_built() -> None:
    built_path().unlink(missing_ok=True)


def pause_point(name: str) -> None:
    """Test hook: with TTV_TEST_PAUSE_AT=<name>, write `<build dir>/paused-at-<name>` and sleep
    (TTV_TEST_PAUSE_SECONDS, default 120), so that tests/test_publication.py can SIGKILL the run
    exactly there. A no-op unless the variable names this point.

    The points: `load` (an ingest step holds the working file open for writing, one table of this
    run already committed), `dbt` (dbt is building the working file, some models done),
    `publish` (the new published file is written but not yet renamed over the old one).
    """
    if os.environ.get(PAUSE_ENV) != name:
        return
    marker = paths.build_dir() / f"paused-at-{name}"
    marker.parent.mkdir(parents=True, exist_ok=True)
    marker.write_text(str(os.getpid()))
    time.sleep(float(os.environ.get(PAUSE_SECONDS_ENV) or 120))
