"""Starts the daily job when new exports land, besides the 06:00 schedule."""

import hashlib

import dagster as dg

from dagster_project import paths
from dagster_project.defs.schedules.schedules import ttv_daily_job
from dagster_project.lib import sources


def landing_fingerprint() -> str:
    """A digest of every landed file a source reads (path, size, modification time).

    Computed from the file system only: the sensor never opens the warehouse, which a running
    job may be writing.
    """
    landing_dir = paths.landing_dir()
    registry = sources.load_registry(paths.sources_file())
    found = sorted({p for s in registry for pattern in s.patterns for p in landing_dir.glob(pattern)
                    if p.is_file()})
    digest = hashlib.sha256()
    for path in found:
        stat = path.stat()
        digest.update(f"{path.relative_to(landing_dir)}|{stat.st_size}|{stat.st_mtime_ns}\n".encode())
    return digest.hexdigest()


@dg.sensor(job=ttv_daily_job, minimum_interval_seconds=60,
           default_status=dg.DefaultSensorStatus.RUNNING)
def new_exports_sensor(context: dg.SensorEvaluationContext):
    """One run per new state of the landing zone; loads are incremental, so it costs the new files."""
    if not paths.landing_dir().is_dir():
        return dg.SkipReason(f"no landing directory at {paths.landing_dir()}")
    fingerprint = landing_fingerprint()
    if fingerprint == context.cursor:
        return dg.SkipReason("no new or changed files in the landing zone")
    context.update_cursor(fingerprint)
    as_of = paths.as_of_date().isoformat()
    return dg.RunRequest(
        run_key=fingerprint,
        run_config={"ops": {"ttv_dbt_models": {"config": {"as_of": as_of}}}},
        tags={"ttv/as_of": as_of, "ttv/trigger": "new_exports"},
    )
