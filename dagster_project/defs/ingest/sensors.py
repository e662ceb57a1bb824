"""Starts the daily job when new exports land, besides the 06:00 schedule."""

import hashlib
from pathlib import Path

import dagster as dg
import duckdb

from dagster_project import paths
from dagster_project.defs.schedules.schedules import daily_run_request, ttv_daily_job
from dagster_project.lib import sources


def landed_files() -> dict[str, int]:
    """Every landed file a source reads, relative to the landing zone, with its size."""
    landing_dir = paths.landing_dir()
    registry = sources.load_registry(paths.sources_file())
    found = sorted(
        {
            p
            for s in registry
            for pattern in s.patterns
            for p in landing_dir.glob(pattern)
            if p.is_file()
        }
    )
    return {path.relative_to(landing_dir).as_posix(): path.stat().st_size for path in found}


def landing_fingerprint() -> str:
    """A digest of every landed file a source reads (path, size, modification time).

    Computed from the file system only: the sensor never opens the working file, which a running
    job may be writing.
    """
    landing_dir = paths.landing_dir()
    digest = hashlib.sha256()
    for rel in landed_files():
        stat = (landing_dir / rel).stat()
        digest.update(f"{rel}|{stat.st_size}|{stat.st_mtime_ns}\n".encode())
    return digest.hexdigest()


def unpublished_files(published: Path) -> list[str]:
    """The landed files that the published warehouse has not loaded (by path and size), read
    from its `raw.landed_files`; every file when there is no published warehouse yet. The
    published file is only ever replaced whole, so reading it never meets a half-written one."""
    files = landed_files()
    if not published.exists():
        return sorted(files)
    try:
        with duckdb.connect(str(published), read_only=True) as con:
            known = set(con.execute("select file, size_bytes from raw.landed_files").fetchall())
    except duckdb.Error:
        return sorted(files)
    return sorted(rel for rel, size in files.items() if (rel, size) not in known)


@dg.sensor(
    job=ttv_daily_job, minimum_interval_seconds=60, default_status=dg.DefaultSensorStatus.RUNNING
)
def new_exports_sensor(context: dg.SensorEvaluationContext):
    """One run per new state of the landing zone; loads are incremental, so it costs the new files."""
    if not paths.landing_dir().is_dir():
        return dg.SkipReason(f"no landing directory at {paths.landing_dir()}")
    fingerprint = landing_fingerprint()
    if fingerprint == context.cursor:
        return dg.SkipReason("no new or changed files in the landing zone")
    first_tick = context.cursor is None
    context.update_cursor(fingerprint)
    if first_tick:
        # The first tick (a new `make dev`, a reset sensor) sees the whole landing zone: start a
        # run only for files the published warehouse has not loaded yet.
        new = unpublished_files(paths.warehouse_path())
        if not new:
            return dg.SkipReason("cursor recorded: every landed file is already published")
    return daily_run_request(paths.as_of_date().isoformat(), "sensor", run_key=fingerprint)
