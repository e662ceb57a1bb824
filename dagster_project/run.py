"""`make run`: materialize the daily job once, print what it did, exit non-zero if it failed.

Reads TTV_LANDING_DIR, TTV_WAREHOUSE and TTV_AS_OF like the scheduled run (see paths.py).
"""

import multiprocessing.util
import os
import sys
from dataclasses import dataclass, field

import dagster as dg
import duckdb

from dagster_project import paths


@dataclass(frozen=True)
class RunOutcome:
    success: bool
    as_of: str
    lines: list[str]
    # every check evaluation of the run (dagster AssetCheckEvaluation: passed, severity, metadata)
    checks: list = field(default_factory=list)
    # the metadata of every asset materialized, by asset key ("marts/account_ttv")
    materializations: dict = field(default_factory=dict)


def run_daily(as_of: str | None = None, instance: dg.DagsterInstance | None = None,
              trigger: str = "python") -> RunOutcome:
    """Run the `ttv_daily` job in this process as of a date (default TTV_AS_OF, else today)."""
    from dagster_project.definitions import defs

    as_of_text = paths.as_of_date(as_of).isoformat()
    job = defs.resolve_job_def("ttv_daily")
    result = job.execute_in_process(
        run_config={
            "ops": {"ttv_dbt_models": {"config": {"as_of": as_of_text}}},
            "loggers": {"console": {"config": {"log_level": "INFO"}}},
        },
        instance=instance or dg.DagsterInstance.ephemeral(),
        raise_on_error=False,
        tags={"ttv/as_of": as_of_text, "ttv/trigger": trigger,
              "ttv/warehouse": str(paths.warehouse_path())},
    )
    lines = []
    materializations = {}
    for event in result.all_events:
        if event.event_type == dg.DagsterEventType.ASSET_MATERIALIZATION:
            mat = event.event_specific_data.materialization
            materializations[mat.asset_key.to_user_string()] = {
                k: v.value for k, v in mat.metadata.items()}
            meta = {k: v.value for k, v in mat.metadata.items()
                    if k in ("rows_landed", "rows_loaded", "rows_duplicate", "rows_quarantined")}
            if meta:
                lines.append(f"loaded {mat.asset_key.to_user_string()}: "
                             + ", ".join(f"{k.removeprefix('rows_')} {v}" for k, v in meta.items()))
        elif event.event_type == dg.DagsterEventType.ASSET_CHECK_EVALUATION:
            check = event.event_specific_data
            if not check.passed:
                word = "WARN" if check.severity == dg.AssetCheckSeverity.WARN else "FAILED"
                description = (check.description or "").strip()
                lines.append(f"check {word} {check.asset_key.to_user_string()}:{check.check_name}"
                             + "".join(f"\n    {line.strip()}"
                                       for line in description.splitlines()))
        elif event.event_type == dg.DagsterEventType.STEP_FAILURE:
            error = event.step_failure_data.error
            user = event.step_failure_data.user_failure_data
            if error and error.cls_name == "DagsterAssetCheckFailedError":
                continue  # a blocking check failed: its own line above says which and why
            reason = (user.description if user and user.description else
                      (error.message.strip().splitlines()[0] if error else "unknown error"))
            lines.append(f"step FAILED {event.step_key}: {reason}")
    checks = [e.event_specific_data for e in result.all_events
              if e.event_type == dg.DagsterEventType.ASSET_CHECK_EVALUATION]
    passed = sum(1 for c in checks if c.passed)
    errors = sum(1 for c in checks if not c.passed and c.severity == dg.AssetCheckSeverity.ERROR)
    lines.append(f"checks: {passed} of {len(checks)} passed"
                 + (f", {errors} failed (ERROR), {len(checks) - passed - errors} warned"
                    if passed < len(checks) else ""))
    lines.append(_publication_line(result))
    lines.extend(f"timing {stage} {seconds:.2f}s" for stage, seconds in _stage_seconds(result).items())
    return RunOutcome(result.success, as_of_text, lines, checks, materializations)


def _stage(step_key: str) -> str:
    if step_key == "ttv_dbt_models":
        return "dbt"
    if "published_warehouse" in step_key:
        return "publish"
    if "_gx_" in step_key:
        return "checks"
    return "load"


def _stage_seconds(result) -> dict[str, float]:
    """Seconds spent per stage (load, dbt, checks, publish), summed over the run's steps."""
    seconds: dict[str, float] = {}
    for event in result.all_events:
        if event.event_type in (dg.DagsterEventType.STEP_SUCCESS, dg.DagsterEventType.STEP_FAILURE):
            duration = getattr(event.event_specific_data, "duration_ms", None) or 0
            stage = _stage(event.step_key)
            seconds[stage] = seconds.get(stage, 0.0) + duration / 1000
    return seconds


def _publication_line(result) -> str:
    """Whether this run replaced the published warehouse, and what analysts see now."""
    for event in result.all_events:
        if (event.event_type == dg.DagsterEventType.ASSET_MATERIALIZATION
                and event.event_specific_data.materialization.asset_key
                == dg.AssetKey("published_warehouse")):
            meta = event.event_specific_data.materialization.metadata
            tables = meta["tables"].value
            return (f"published {meta['path'].value} as of {meta['as_of'].value}: "
                    f"{len(tables)} tables, {meta['size_bytes'].value / 1e6:.1f} MB, "
                    f"renamed into place after {meta['publish_seconds'].value} s of copying")
    published = paths.warehouse_path()
    if not published.exists():
        return f"NOT published: there is still no warehouse at {published}"
    return (f"NOT published: {published} is unchanged"
            + (f" (as of {_published_as_of(published)})" if _published_as_of(published) else ""))


def _published_as_of(published) -> str | None:
    try:
        with duckdb.connect(str(published), read_only=True) as con:
            value = con.execute("select max(as_of_date) from marts.account_ttv").fetchone()[0]
    except duckdb.Error:
        return None
    return value.isoformat() if value else None


def main() -> int:
    try:
        as_of = paths.as_of_date().isoformat()
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(f"TTV daily run as of {as_of}: landing {paths.landing_dir()} -> {paths.warehouse_path()}")
    # The instance beside the warehouse: the run shows in `make dev`'s UI afterwards.
    from dagster_project.instance import instance

    outcome = run_daily(as_of, instance=instance(), trigger="command_line")
    print("\n".join(outcome.lines))
    if outcome.success:
        print(f"done: warehouse {paths.warehouse_path()} as of {outcome.as_of}")
        from dagster_project.lib.report import report_path
        print(f"report: {report_path(paths.warehouse_path())}")
        return 0
    print("FAILED: see the lines above; the published warehouse was not changed", file=sys.stderr)
    return 1


if __name__ == "__main__":
    code = main()
    # Skip interpreter teardown: after Great Expectations has loaded its DuckDB dialect, duckdb's
    # bindings print a spurious "nanobind: leaked instances" report at shutdown. Run the
    # multiprocessing finalizers first, which teardown would have run (semaphores Dagster made).
    multiprocessing.util._exit_function()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)
