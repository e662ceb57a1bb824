"""The dbt project as Dagster assets: every model an asset, every dbt test an asset check.

dbt builds the run's working file (`<warehouse>.build/<warehouse file name>`), never the published
warehouse; `defs/publish` copies the audited tables out once every blocking check has passed.
"""

import dagster as dg
from dagster_dbt import DbtCliResource, dbt_assets

from dagster_project import paths
from dagster_project.defs.resources import WorkingWarehouse
from dagster_project.lib import dbt_failures, warehouse
from dagster_project.lib.dbt_manifest import DBT_PROJECT, prepared_manifest
from dagster_project.lib.dbt_translation import TtvDbtTranslator, with_table_metadata


class TransformConfig(dg.Config):
    """The run's as-of date (YYYY-MM-DD); empty means TTV_AS_OF, else today UTC (SPEC §4)."""

    as_of: str = ""


@dbt_assets(
    manifest=prepared_manifest(), project=DBT_PROJECT, dagster_dbt_translator=TtvDbtTranslator()
)
def ttv_dbt_models(
    context: dg.AssetExecutionContext,
    dbt: DbtCliResource,
    working_warehouse: WorkingWarehouse,
    config: TransformConfig,
):
    as_of = paths.as_of_date(config.as_of or None).isoformat()
    working = working_warehouse.path()
    context.log.info(f"building {working} as of {as_of}")
    warehouse.clear_built()
    # dbt runs in its own process from dbt_models/; the dbt resource gave it the working file
    # (TTV_WORKING_WAREHOUSE, dbt_models/profiles.yml)
    invocation = dbt.cli(
        ["build", "--vars", f'{{"as_of": "{as_of}"}}'], context=context, raise_on_error=False
    )
    unpassed = []  # reported once dbt has exited, with example rows read from the file
    built = []  # models, reported once dbt has exited with their columns and row counts
    for event in invocation.stream():
        if isinstance(event, dg.AssetCheckResult) and not event.passed:
            unpassed.append(event)
            continue
        if isinstance(event, dg.Output):
            built.append(event)
            continue
        yield event
    # dbt has exited and released the working file: read each model's columns and rows from it
    yield from with_table_metadata(built, working, invocation.manifest)

    try:
        run_results = invocation.get_artifact("run_results.json")
    except FileNotFoundError:  # dbt stopped before running anything (e.g. a compilation error)
        run_results = {}
    explained = dbt_failures.explain(run_results, working, invocation.manifest)
    for result in unpassed:
        unique_id = result.metadata.get("unique_id")
        failure = explained.get(unique_id.value) if unique_id else None
        if failure is None:
            yield result
            continue
        yield dg.AssetCheckResult(
            asset_key=result.asset_key,
            check_name=result.check_name,
            passed=False,
            severity=result.severity,
            description=failure.message,
            metadata={**result.metadata, "examples": dg.MetadataValue.json(failure.examples)},
        )
    if not invocation.is_successful():
        errors = [f.message for f in explained.values() if f.status in ("fail", "error")]
        raise dg.Failure(
            description="dbt build failed"
            + (": " + "; ".join(errors) if errors else ", see the dbt log above"),
        )
    warehouse.mark_built(as_of, context.run_id)
