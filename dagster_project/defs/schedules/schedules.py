"""The daily job: every asset, from the landing zone to the marts, once a day at 06:00 UTC."""

import dagster as dg

from dagster_project import paths
from dagster_project.lib import fingerprint

ttv_daily_job = dg.define_asset_job(
    name="ttv_daily",
    selection=dg.AssetSelection.all(),
    description="Load the landing zone, build every dbt model, run every check.",
    # Steps write one DuckDB file, which allows one writing process at a time: run them in order
    # in one process instead of in parallel processes.
    executor_def=dg.in_process_executor,
)


def daily_run_request(as_of: str, trigger: str, run_key: str | None = None) -> dg.RunRequest:
    """A run of the daily job as of a date (YYYY-MM-DD), however it starts (the schedule, the
    new-exports sensor, `make run`): the transform step's as-of config and the run's tags
    `ttv/as_of`, `ttv/trigger`, `ttv/warehouse` (the published file it builds) and `ttv/inputs`
    (the digest of its inputs, taken before it reads them: lib/fingerprint.py)."""
    return dg.RunRequest(
        run_key=run_key,
        run_config={"ops": {"ttv_dbt_models": {"config": {"as_of": as_of}}}},
        tags={
            "ttv/as_of": as_of,
            "ttv/trigger": trigger,
            "ttv/warehouse": str(paths.warehouse_path()),
            "ttv/inputs": fingerprint.inputs_digest(as_of),
        },
    )


@dg.schedule(
    job=ttv_daily_job,
    cron_schedule="0 6 * * *",
    execution_timezone="UTC",
    default_status=dg.DefaultScheduleStatus.RUNNING,
)
def ttv_daily_schedule(context: dg.ScheduleEvaluationContext) -> dg.RunRequest | dg.SkipReason:
    """As of the scheduled day, so a re-run of a past tick reproduces that day's tables; skipped
    with a sentence when the published warehouse was built from these very inputs."""
    as_of = context.scheduled_execution_time.date().isoformat()
    request = daily_run_request(as_of, "schedule", run_key=as_of)
    nothing_new = fingerprint.unchanged_since(request.tags["ttv/inputs"])
    return dg.SkipReason(nothing_new) if nothing_new else request
