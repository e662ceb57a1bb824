"""Ingest assets: the milestone catalogue and each landing table, loaded into the warehouse.

Asset keys match the dbt sources (`crm/accounts`, `product/events`, `config/milestones`, ...) so
the asset graph runs from the landing zone through every dbt model. Each asset opens the working
DuckDB file (the `working_warehouse` resource), writes, and closes it before the next step: DuckDB
allows one writing process at a time.
"""

import dagster as dg

from dagster_project import paths
from dagster_project.defs.resources import WorkingWarehouse
from dagster_project.lib import catalogue, dbt_manifest, landing, sources
from dagster_project.lib.warehouse import RunInProgress


@dg.multi_asset(
    specs=[
        dg.AssetSpec(
            ["config", table],
            group_name="ingest",
            kinds={"duckdb"},
            description=f"config.{table}: the milestone catalogue (config/ttv.yml) as a table.",
        )
        for table in catalogue.TABLE_COLUMNS
    ],
    name="ttv_catalogue",
)
def ttv_catalogue(context: dg.AssetExecutionContext, working_warehouse: WorkingWarehouse):
    """Validate config/ttv.yml and load it into the `config` schema."""
    path = paths.catalogue_file()
    try:
        cat = catalogue.load_catalogue(path)
    except catalogue.CatalogueError as exc:
        raise dg.Failure(description=str(exc)) from None
    try:
        with working_warehouse.get_connection() as con:
            catalogue.write_catalogue(con, cat)
    except RunInProgress as exc:
        raise dg.Failure(description=f"catalogue not loaded: {exc}") from None
    for table, rows in cat.tables().items():
        yield dg.MaterializeResult(
            asset_key=["config", table],
            metadata={"rows": len(rows), "catalogue": str(path)},
        )


def _landing_asset(table: landing.LandingTable, deps: list[dg.AssetKey]) -> dg.AssetsDefinition:
    @dg.asset(
        key=[table.group, table.name],
        group_name="ingest",
        kinds={"duckdb"},
        deps=deps,
        description=(
            f"raw.{table.name}: the canonical {table.name} table, loaded incrementally from every "
            "source of config/sources.yml that fills it; bad rows go to quarantine.rejected_rows, "
            "every file is accounted for in raw.landed_files."
        ),
    )
    def _asset(
        context: dg.AssetExecutionContext, working_warehouse: WorkingWarehouse
    ) -> dg.MaterializeResult:
        landing_dir = paths.landing_dir()
        if not landing_dir.is_dir():
            raise dg.Failure(
                description=f"landing directory {landing_dir} does not exist (set TTV_LANDING_DIR)"
            )
        try:
            registry = sources.load_registry(paths.sources_file())
            with working_warehouse.get_connection() as con:
                result = landing.load_table(
                    con,
                    landing_dir,
                    table,
                    registry,
                    derived=dbt_manifest.incremental_relations() if table.is_events else (),
                )
        except (sources.RegistryError, landing.SchemaMismatch, RunInProgress) as exc:
            raise dg.Failure(description=f"{table.name} stopped: {exc}") from None
        if result.reasons:
            context.log.warning(
                f"{table.name}: quarantined in this load: "
                f"{', '.join(f'{k}: {v}' for k, v in result.reasons.items())}; "
                "see quarantine.rejected_rows"
            )
        for file, reason in result.rejected:
            context.log.warning(f"{table.name}: {file} rejected as a whole: {reason}")
        if result.unclaimed:
            context.log.warning(
                f"{len(result.unclaimed)} landed file(s) no source reads "
                f"(raw.landed_files status unclaimed): {', '.join(result.unclaimed)}"
            )
        return dg.MaterializeResult(
            metadata={
                "files": result.files,
                "files_rejected": len(result.rejected),
                "rejected_files": dg.MetadataValue.json(dict(result.rejected)),
                "unclaimed_files": dg.MetadataValue.json(result.unclaimed),
                "files_read": result.files_read,
                "rows_landed": result.rows_landed,
                "rows_loaded": result.rows_loaded,
                "rows_duplicate": result.rows_duplicate,
                "rows_filtered": result.rows_filtered,
                "rows_quarantined": result.rows_quarantined,
                "quarantine_reasons": dg.MetadataValue.json(result.reasons),
            }
        )

    return _asset


accounts_asset = _landing_asset(landing.ACCOUNTS, deps=[])
# Rows of the other tables must name a known account, so they load after the accounts.
landing_assets = [accounts_asset] + [
    _landing_asset(table, deps=[accounts_asset.key])
    for table in landing.TABLES
    if table is not landing.ACCOUNTS
]
