"""Publication as an asset: the analyst tables of the working file, renamed over the warehouse.

It runs last in the daily job. Dagster skips it when a blocking check fails (every GX suite and
every dbt test of severity error is one), and it checks for itself that this run audited the
complete build it is about to publish, so that a partial materialization from the UI cannot
publish a half-built or unchecked working file.
"""

import dagster as dg

from dagster_project import paths
from dagster_project.defs.ingest.assets import landing_assets, ttv_catalogue
from dagster_project.defs.quality.checks import GUARDED
from dagster_project.defs.resources import WorkingWarehouse
from dagster_project.defs.transform.assets import ttv_dbt_models
from dagster_project.lib import fingerprint, publish, warehouse

MARTS = sorted(
    (key for key in ttv_dbt_models.keys if key.path[0] == "marts"),
    key=lambda key: key.to_user_string(),
)
INGESTED = [key for assets in (ttv_catalogue, *landing_assets) for key in assets.keys]
REQUIRED_CHECKS = {dg.AssetCheckKey(g.asset, g.check_name) for g in GUARDED}


def audit_problems(evaluations: list, built: dict | None) -> list[str]:
    """Why this run may not publish (empty: it may), from its check evaluations and the build state.

    Every GX suite must have been evaluated in this run and no check (GX or dbt) may have
    failed with severity ERROR; the working file must be a complete dbt build.
    """
    problems = []
    if built is None:
        problems.append(
            "the working file is not a complete build: something was loaded or dbt "
            "failed after the last successful dbt build; run the whole ttv_daily job"
        )
    seen = {dg.AssetCheckKey(e.asset_key, e.check_name) for e in evaluations}
    missing = sorted(k.to_user_string() for k in REQUIRED_CHECKS - seen)
    if missing:
        problems.append(f"not audited in this run: {', '.join(missing)}")
    failed = sorted(
        f"{e.asset_key.to_user_string()}:{e.check_name}"
        for e in evaluations
        if not e.passed and e.severity == dg.AssetCheckSeverity.ERROR
    )
    if failed:
        problems.append(f"blocking checks failed: {', '.join(failed)}")
    return problems


@dg.asset(
    key="published_warehouse",
    group_name="publish",
    kinds={"duckdb"},
    deps=[*MARTS, *INGESTED],
    description=(
        "The DuckDB file analysts query (TTV_WAREHOUSE): marts, quarantine, config and "
        "raw.landed_files copied from the audited working file, then renamed over the previous "
        "one in one step. Skipped, and the previous warehouse left as it was, when a blocking "
        "check fails."
    ),
)
def published_warehouse(
    context: dg.AssetExecutionContext, working_warehouse: WorkingWarehouse
) -> dg.MaterializeResult:
    records = context.instance.get_records_for_run(
        run_id=context.run_id, of_type=dg.DagsterEventType.ASSET_CHECK_EVALUATION
    ).records
    evaluations = [r.event_log_entry.dagster_event.event_specific_data for r in records]
    built = warehouse.read_built()
    problems = audit_problems(evaluations, built)
    if problems:
        raise dg.Failure(
            description=f"not published, {paths.warehouse_path()} is unchanged: "
            + "; ".join(problems)
        )
    try:
        warehouse.hold_run_lock()
    except warehouse.RunInProgress as exc:
        raise dg.Failure(description=f"not published: {exc}") from None
    published = publish.publish(working_warehouse.path(), paths.warehouse_path())
    # what the next run compares its inputs with (nothing new: nothing done); a run started
    # without the digest (launched by hand in the UI) leaves none, so the next run does the work
    inputs = context.run.tags.get("ttv/inputs")
    if inputs and context.run.tags.get("ttv/as_of") == built["as_of"]:
        fingerprint.record_publication(inputs, built["as_of"])
    else:
        fingerprint.forget()
    warnings = sorted(
        f"{e.asset_key.to_user_string()}:{e.check_name}"
        for e in evaluations
        if not e.passed and e.severity == dg.AssetCheckSeverity.WARN
    )
    context.log.info(
        f"published {published.path} as of {built['as_of']} "
        f"({len(published.tables)} tables in {published.seconds} s)"
    )
    return dg.MaterializeResult(
        metadata={
            "path": dg.MetadataValue.path(str(published.path)),
            "as_of": built["as_of"],
            "tables": dg.MetadataValue.json(published.tables),
            "size_bytes": published.size_bytes,
            "publish_seconds": published.seconds,
            "published_with_warnings": dg.MetadataValue.json(warnings),
        }
    )
