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
from typing import Self

import duckdb

from dagster_project import paths

BUILT_FILE = "built.json"


def connect_for_write(
    path: Path | None = None, config: dict | None = None
) -> duckdb.DuckDBPyConnection:
    """A read-write connection to the run's working file (default paths.working_warehouse_path();
    the Dagster steps get it through the `working_warehouse` resource); close it before dbt runs.
    `config`: DuckDB settings besides the memory limit (TTV_DUCKDB_MEMORY_LIMIT).

    Clears the build state first: once anything is written, the working file is no longer the
    complete build that was checked, until dbt has built it again.
    """
    hold_run_lock()  # before anything is touched: another run may be writing
    path = Path(path) if path else paths.working_warehouse_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    clear_built()
    con = duckdb.connect(
        str(path), config={"memory_limit": paths.duckdb_memory_limit(), **(config or {})}
    )
    con.execute("set TimeZone = 'UTC'")
    con.execute("set enable_progress_bar = false")
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


# ---- one run at a time, and what a run needs before it starts ------------------------------


class RunInProgress(RuntimeError):
    """Another run holds the warehouse's run lock."""


class RunLock:
    """The run lock of a warehouse (`<build dir>/run.lock`): an exclusive `flock` held for the
    whole run, and the holder's PID, host and start time written inside for people to read.

    The kernel drops a `flock` when its process dies, so a lock left by a killed run is free;
    its stale content (a dead PID on this host) is reported and replaced. A live PID on this
    host that does not hold the flock (a run of an older version) still counts as a run.
    """

    def __init__(self, path: Path):
        self.path = Path(path)
        self.handle = None
        self.stale: dict | None = None  # the content of a lock its run left behind

    def acquire(self) -> Self:
        import fcntl
        import socket

        self.path.parent.mkdir(parents=True, exist_ok=True)
        handle = open(self.path, "a+")  # noqa: SIM115 - held open for the whole run
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.close()
            holder = read_lock(self.path)
            if (
                holder
                and holder.get("pid") == os.getpid()
                and holder.get("host") == socket.gethostname()
            ):
                return self  # this process holds it already (`make run`, then its steps)
            raise RunInProgress(self._describe(holder)) from None
        holder = read_lock(self.path)
        if holder and holder.get("pid") != os.getpid():
            if holder.get("host") == socket.gethostname() and _alive(holder.get("pid")):
                fcntl.flock(handle, fcntl.LOCK_UN)
                handle.close()
                raise RunInProgress(self._describe(holder))
            self.stale = holder
        handle.seek(0)
        handle.truncate()
        handle.write(
            json.dumps(
                {
                    "pid": os.getpid(),
                    "host": socket.gethostname(),
                    "started_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
                }
            )
        )
        handle.flush()
        self.handle = handle
        return self

    def release(self) -> None:
        import fcntl

        if self.handle is None:
            return
        self.handle.seek(0)
        self.handle.truncate()  # an empty lock file: nobody runs
        fcntl.flock(self.handle, fcntl.LOCK_UN)
        self.handle.close()
        self.handle = None

    def __enter__(self) -> Self:
        return self.acquire()

    def __exit__(self, *exc) -> None:
        self.release()

    def _describe(self, holder: dict | None) -> str:
        if not holder:
            return f"another run holds {self.path}"
        return (
            f"another run is in progress: pid {holder.get('pid')} on "
            f"{holder.get('host')} since {holder.get('started_at')} (lock {self.path})"
        )


_held: dict[Path, RunLock] = {}


def hold_run_lock() -> None:
    """Take the warehouse's run lock for the rest of this process, once: every step that writes
    calls it, so a run started from the Dagster UI or schedule and a `make run` exclude each
    other too. A run's process ends with the run (Dagster launches one per run), and the kernel
    then drops the lock. Raises RunInProgress when another process holds it."""
    path = paths.run_lock_path()
    if path not in _held:
        _held[path] = RunLock(path).acquire()


def read_lock(path: Path) -> dict | None:
    try:
        return json.loads(Path(path).read_text() or "null")
    except (FileNotFoundError, json.JSONDecodeError):
        return None


def _alive(pid) -> bool:
    if not isinstance(pid, int) or pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's live process
        return True
    return True


def preflight(landing: Path, warehouse: Path) -> list[str]:
    """What stops a run before it starts, each a sentence (empty: it may start): the landing
    folder unreadable, the warehouse folder not writable, or too little disk for a copy of the
    working file (publication writes the analyst tables into a new file beside it)."""
    import shutil

    problems = []
    landing, warehouse = Path(landing), Path(warehouse)
    if not landing.is_dir():
        problems.append(f"landing folder {landing} does not exist (set TTV_LANDING_DIR)")
    elif not os.access(landing, os.R_OK | os.X_OK):
        problems.append(f"landing folder {landing} is not readable by this user")
    folder = warehouse.parent
    existing = next((p for p in (folder, *folder.parents) if p.exists()), None)
    build = paths.build_dir(warehouse)
    for target in (folder, build):
        if target.is_dir() and not os.access(target, os.W_OK | os.X_OK):
            problems.append(f"warehouse folder {target} is not writable by this user")
    if existing is not None and not folder.is_dir():
        if not existing.is_dir():
            problems.append(f"warehouse folder {folder} cannot be created: {existing} is a file")
        elif not os.access(existing, os.W_OK | os.X_OK):
            problems.append(
                f"warehouse folder {folder} cannot be created: {existing} is not "
                "writable by this user"
            )
    if existing is not None and not problems:
        working = paths.working_warehouse_path(warehouse)
        needed = working.stat().st_size if working.is_file() else 0
        free = shutil.disk_usage(existing).free
        if free < needed:
            problems.append(
                f"{free / 1e6:.0f} MB free in {existing}, a copy of the working "
                f"file {working} needs {needed / 1e6:.0f} MB"
            )
    return problems
