"""The dbt project as Dagster assets: every model an asset, every dbt test an asset check."""

import os

import dagster as dg
from dagster_dbt import DbtCliResource, DbtProject, dbt_assets

from dagster_project import paths
from dagster_project.lib.dbt_manifest import ensure_manifest

dbt_project = DbtProject(project_dir=paths.DBT_PROJECT_DIR, profiles_dir=paths.DBT_PROJECT_DIR)
ensure_manifest(paths.DBT_PROJECT_DIR, dbt_project.manifest_path, paths.DBT_EXECUTABLE)
dbt_resource = DbtCliResource(project_dir=dbt_project, dbt_executable=str(paths.DBT_EXECUTABLE))


class TransformConfig(dg.Config):
    """The run's as-of date (YYYY-MM-DD); empty means TTV_AS_OF, else today UTC (SPEC §4)."""

    as_of: str = ""


@dbt_assets(manifest=dbt_project.manifest_path, project=dbt_project)
def ttv_dbt_models(context: dg.AssetExecutionContext, dbt: DbtCliResource, config: TransformConfig):
    as_of = paths.as_of_date(config.as_of or None).isoformat()
    # dbt runs in its own process from dbt_models/: give it the same absolute warehouse path.
    os.environ["TTV_WAREHOUSE"] = str(paths.warehouse_path())
    context.log.info(f"building the warehouse as of {as_of}")
    yield from dbt.cli(["build", "--vars", f'{{"as_of": "{as_of}"}}'], context=context).stream()
