"""`make run`: materialize the daily job once, print what it did, exit non-zero if it failed.

Reads TTV_LANDING_DIR, TTV_WAREHOUSE and TTV_AS_OF like the scheduled run (see paths.py). One
run at a time per warehouse (a lock file in its build directory); the Dagster and dbt output,
stack traces included, goes to a log file whose path it prints, after a summary that says what
failed and what to do.

Exit codes: 0 published, 1 the run failed (the published warehouse is unchanged), 2 a setting
is invalid, 3 another run of this warehouse is in progress, 4 the run cannot start (landing not
readable, warehouse folder not writable, disk too full).
"""

import contextlib
import multiprocessing.util
import os
import sys
import time
from dataclasses import dataclass, field

import dagster as dg
import duckdb

from dagster_project import paths
from dagster_project.lib import fingerprint, warehouse

EXIT_OK, EXIT_FAILED, EXIT_SETTINGS, EXIT_BUSY, EXIT_CANNOT_START = 0, 1, 2, 3, 4
KEEP_LOGS = 20
# What to do about a failed check, by check name (the first that the name starts with).
ADVICE = (
    (
        "volume",
        (
            "if the smaller table is right, accept it for one run with "
            "TTV_ACCEPT_VOLUME_CHANGE=<table> (README, accepting a change on purpose); else fix "
            "the export"
        ),
    ),
    (
        "milestones_reached",
        (
            "a milestone every account lost: look for a renamed event or CRM field in "
            "config/ttv.yml and in the exports"
        ),
    ),
    (
        "catalogue_events",
        (
            "correct the event name in config/ttv.yml (the nearest loaded names are suggested), "
            "or load the events it needs"
        ),
    ),
    (
        "gx_raw_landed_files",
        (
            "the per-file accounting does not add up: keep the working file and report it; "
            "deleting <warehouse>.build/ rebuilds from the exports"
        ),
    ),
    (
        "gx_raw_",
        (
            "fix the rows named above in the export (or the source's mapping in "
            "config/sources.yml) and run again"
        ),
    ),
    (
        "gx_",
        (
            "a mart broke a rule: the rows named above say where; check the exports and "
            "config/ttv.yml"
        ),
    ),
    (
        "",
        ("a model's dbt test failed on the rows named above; check the exports and config/ttv.yml"),
    ),
)


@dataclass(frozen=True)
class RunOutcome:
    success: bool
    as_of: str
    lines: list[str]
    # every check evaluation of the run (dagster AssetCheckEvaluation: passed, severity, metadata)
    checks: list = field(default_factory=list)
    # the metadata of every asset materialized, by asset key ("marts/account_ttv")
    materializations: dict = field(default_factory=dict)
    # what failed, first: one paragraph per failed step or blocking check, with what to do
    summary: list[str] = field(default_factory=list)


def run_daily(
    as_of: str | None = None, instance: dg.DagsterInstance | None = None, trigger: str = "python"
) -> RunOutcome:
    """Run the `ttv_daily` job in this process as of a date (default TTV_AS_OF, else today)."""
    from dagster_project.definitions import defs
    from dagster_project.defs.schedules.schedules import daily_run_request

    as_of_text = paths.as_of_date(as_of).isoformat()
    request = daily_run_request(as_of_text, trigger)
    job = defs.resolve_job_def("ttv_daily")
    result = job.execute_in_process(
        run_config={
            **request.run_config,
            "loggers": {"console": {"config": {"log_level": "INFO"}}},
        },
        instance=instance or dg.DagsterInstance.ephemeral(),
        raise_on_error=False,
        tags=request.tags,
    )
    lines, summary, unclaimed = [], [], {}
    materializations = {}
    for event in result.all_events:
        if event.event_type == dg.DagsterEventType.ASSET_MATERIALIZATION:
            mat = event.event_specific_data.materialization
            materializations[mat.asset_key.to_user_string()] = {
                k: v.value for k, v in mat.metadata.items()
            }
            meta = {
                k: v.value
                for k, v in mat.metadata.items()
                if k in ("rows_landed", "rows_loaded", "rows_duplicate", "rows_quarantined")
            }
            if meta:
                lines.append(
                    f"loaded {mat.asset_key.to_user_string()}: "
                    + ", ".join(f"{k.removeprefix('rows_')} {v}" for k, v in meta.items())
                )
            rejected = mat.metadata.get("rejected_files")
            for file, reason in (rejected.value if rejected else {}).items():
                lines.append(f"    rejected {file}: {reason}")
            found = mat.metadata.get("unclaimed_files")  # every landing table reports the same
            unclaimed.update(dict.fromkeys(found.value if found else []))
        elif event.event_type == dg.DagsterEventType.ASSET_CHECK_EVALUATION:
            check = event.event_specific_data
            if not check.passed:
                word = "WARN" if check.severity == dg.AssetCheckSeverity.WARN else "FAILED"
                description = (check.description or "").strip()
                lines.append(
                    f"check {word} {check.asset_key.to_user_string()}:{check.check_name}"
                    + "".join(f"\n    {line.strip()}" for line in description.splitlines())
                )
                if word == "FAILED":
                    summary.append(_check_paragraph(check, description))
        elif event.event_type == dg.DagsterEventType.STEP_FAILURE:
            error = event.step_failure_data.error
            user = event.step_failure_data.user_failure_data
            if (
                error
                and error.cls_name == "DagsterAssetCheckFailedError"
                or user
                and "blocked_by_check" in (user.metadata or {})
            ):
                continue  # a blocking check failed: its own line above says which and why
            reason = (
                user.description
                if user and user.description
                else (error.message.strip().splitlines()[0] if error else "unknown error")
            )
            lines.append(f"step FAILED {event.step_key}: {reason}")
            summary.append(
                f"step {event.step_key} failed: {reason}\n    what to do: " + _step_advice(reason)
            )
    if unclaimed:
        lines.append(
            f"unclaimed: {len(unclaimed)} landed file(s) no source in config/sources.yml "
            "reads (raw.landed_files status unclaimed)"
        )
        lines.extend(f"    unclaimed {file}" for file in unclaimed)
    checks = [
        e.event_specific_data
        for e in result.all_events
        if e.event_type == dg.DagsterEventType.ASSET_CHECK_EVALUATION
    ]
    passed = sum(1 for c in checks if c.passed)
    errors = sum(1 for c in checks if not c.passed and c.severity == dg.AssetCheckSeverity.ERROR)
    lines.append(
        f"checks: {passed} of {len(checks)} passed"
        + (
            f", {errors} failed (ERROR), {len(checks) - passed - errors} warned"
            if passed < len(checks)
            else ""
        )
    )
    publication = _publication_line(result)
    lines.append(publication)
    lines.extend(
        f"timing {stage} {seconds:.2f}s" for stage, seconds in _stage_seconds(result).items()
    )
    if not result.success:
        summary.insert(0, f"FAILED as of {as_of_text}: {publication}")
    return RunOutcome(
        result.success,
        as_of_text,
        lines,
        checks,
        summary=summary,
        materializations=materializations,
    )


def _check_paragraph(check, description: str) -> str:
    """One failed blocking check for the summary: where, which rows (its ERROR lines), what to do."""
    found = [
        line.strip() for line in description.splitlines() if line.strip().startswith("[error]")
    ]
    rows = found or [line.strip() for line in description.splitlines()[:3] if line.strip()]
    advice = next(text for prefix, text in ADVICE if check.check_name.startswith(prefix))
    return (
        f"check {check.asset_key.to_user_string()}:{check.check_name} failed"
        + "".join(f"\n    {row}" for row in rows)
        + f"\n    what to do: {advice}"
    )


def _step_advice(reason: str) -> str:
    if "missing field" in reason:
        return (
            "the file named lacks fields its source maps: fix the export or the source's "
            "`fields` in config/sources.yml; nothing of that table changed"
        )
    if "catalogue" in reason or "ttv.yml" in reason:
        return "fix config/ttv.yml (`python -m dagster_project.lib.catalogue` checks it)"
    if "registry" in reason or "sources.yml" in reason:
        return "fix config/sources.yml (`python -m dagster_project.lib.sources` checks it)"
    return "see the full log for the stack trace"


def _stage(step_key: str) -> str:
    if step_key == "ttv_dbt_models":
        return "dbt"
    if step_key == "ttv_report":
        return "report"
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
        if (
            event.event_type == dg.DagsterEventType.ASSET_MATERIALIZATION
            and event.event_specific_data.materialization.asset_key
            == dg.AssetKey("published_warehouse")
        ):
            meta = event.event_specific_data.materialization.metadata
            tables = meta["tables"].value
            return (
                f"published {meta['path'].value} as of {meta['as_of'].value}: "
                f"{len(tables)} tables, {meta['size_bytes'].value / 1e6:.1f} MB, "
                f"renamed into place after {meta['publish_seconds'].value} s of copying"
            )
    published = paths.warehouse_path()
    if not published.exists():
        return f"NOT published: there is still no warehouse at {published}"
    return f"NOT published: {published} is unchanged" + (
        f" (as of {_published_as_of(published)})" if _published_as_of(published) else ""
    )


def _published_as_of(published) -> str | None:
    try:
        with duckdb.connect(str(published), read_only=True) as con:
            value = con.execute("select max(as_of_date) from marts.account_ttv").fetchone()[0]
    except duckdb.Error:
        return None
    return value.isoformat() if value else None


@contextlib.contextmanager
def _output_to(log_path):
    """Send this process's stdout and stderr (Dagster's console log, dbt's output, stack
    traces, library warnings) to `log_path` while the job runs; the summary is printed after."""
    sys.stdout.flush()
    sys.stderr.flush()
    saved = os.dup(1), os.dup(2)
    streams = sys.stdout, sys.stderr
    with open(log_path, "a", buffering=1) as log:
        # the file descriptors for dbt and C libraries, sys.stdout/err for Python's loggers
        # (which may not write to the descriptors, under pytest for one)
        os.dup2(log.fileno(), 1)
        os.dup2(log.fileno(), 2)
        sys.stdout = sys.stderr = log
        try:
            yield
        finally:
            log.flush()
            sys.stdout, sys.stderr = streams
            os.dup2(saved[0], 1)
            os.dup2(saved[1], 2)
            os.close(saved[0])
            os.close(saved[1])


def _new_log(folder) -> "os.PathLike":
    folder.mkdir(parents=True, exist_ok=True)
    for old in sorted(folder.glob("run-*.log"))[: -KEEP_LOGS + 1]:
        old.unlink(missing_ok=True)
    return folder / time.strftime("run-%Y%m%dT%H%M%SZ.log", time.gmtime())


def main() -> int:
    try:
        as_of = paths.as_of_date().isoformat()
        paths.max_shrink(), paths.freshness_days()
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_SETTINGS
    problems = warehouse.preflight(paths.landing_dir(), paths.warehouse_path())
    if problems:
        print("cannot start: " + "; ".join(problems), file=sys.stderr)
        return EXIT_CANNOT_START
    lock = warehouse.RunLock(paths.run_lock_path())
    try:
        lock.acquire()
    except warehouse.RunInProgress as exc:
        print(f"not started: {exc}", file=sys.stderr)
        return EXIT_BUSY
    try:
        print(
            f"TTV daily run as of {as_of}: landing {paths.landing_dir()} -> "
            f"{paths.warehouse_path()}"
        )
        if lock.stale:
            print(
                f"note: a run that died left its lock (pid {lock.stale.get('pid')} on "
                f"{lock.stale.get('host')} since {lock.stale.get('started_at')}); taken over"
            )
        # nothing new since the last publication (same files, catalogue, settings, code, as-of):
        # say so and stop, in seconds (lib/fingerprint.py; TTV_FORCE=1 runs anyway)
        nothing_new = fingerprint.unchanged_since(fingerprint.inputs_digest(as_of))
        if nothing_new and not paths.force_run():
            print(f"{nothing_new} (TTV_FORCE=1 runs anyway)")
            return EXIT_OK
        log_path = _new_log(paths.run_log_dir())
        # The instance beside the warehouse: the run shows in `make dev`'s UI afterwards.
        from dagster_project.instance import instance

        with _output_to(log_path):
            outcome = run_daily(as_of, instance=instance(), trigger="command_line")
        if not outcome.success:
            print("\n".join(outcome.summary))
            print(f"full log (Dagster, dbt, stack traces): {log_path}")
            print("---- details")
        print("\n".join(outcome.lines))
        warned = [
            f"{c.asset_key.to_user_string()}:{c.check_name}"
            for c in outcome.checks
            if not c.passed and c.severity == dg.AssetCheckSeverity.WARN
        ]
        if outcome.success and warned:
            print(
                f"published with {len(warned)} warning{'' if len(warned) == 1 else 's'} "
                f"(see above): {', '.join(warned)}"
            )
        if outcome.success:
            print(
                f"done: warehouse {paths.warehouse_path()} as of {outcome.as_of} (log: {log_path})"
            )
            from dagster_project.lib.report import report_path

            print(f"report: {report_path(paths.warehouse_path())}")
            return EXIT_OK
        print(
            "FAILED: see the summary at the top; the published warehouse was not changed",
            file=sys.stderr,
        )
        return EXIT_FAILED
    finally:
        lock.release()


if __name__ == "__main__":
    code = main()
    # Skip interpreter teardown: after Great Expectations has loaded its DuckDB dialect, duckdb's
    # bindings print a spurious "nanobind: leaked instances" report at shutdown. Run the
    # multiprocessing finalizers first, which teardown would have run (semaphores Dagster made).
    multiprocessing.util._exit_function()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)
