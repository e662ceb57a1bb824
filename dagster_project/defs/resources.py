"""The daily job's resources: the run's working DuckDB file, and dbt, which builds it.

Both resolve the working file (`paths.working_warehouse_path()`: `<TTV_WAREHOUSE>.build/<its file
name>`) when a run uses them, not when the definitions load, so each run builds the warehouse
its own TTV_WAREHOUSE names, like the run lock, the checks and publication do.
"""

import os
from contextlib import contextmanager
from pathlib import Path

import dagster as dg
from dagster_dbt import DbtCliResource
from dagster_duckdb import DuckDBResource
from pydantic import Field

from dagster_project import paths
from dagster_project.lib import warehouse
from dagster_project.lib.dbt_manifest import DBT_PROJECT


class WorkingWarehouse(DuckDBResource):
    """The run's working DuckDB file, which the ingest writes, dbt builds and publication copies.

    `get_connection()` writes: it takes the warehouse's run lock first and clears the build state
    (lib/warehouse.py, connect_for_write), and closes the connection when the step is done with
    it, error or not, since dbt (another process) opens the file next.
    """

    database: str = Field(
        default="",
        description=(
            "The working DuckDB file. Empty (the default): <TTV_WAREHOUSE>.build/<its "
            "file name>, where the run lock, the checks and publication look."
        ),
    )

    def path(self) -> Path:
        return Path(self.database).resolve() if self.database else paths.working_warehouse_path()

    @contextmanager
    def get_connection(self):
        con = warehouse.connect_for_write(self.path(), self.connection_config)
        try:
            yield con
        finally:
            con.close()


class WorkingWarehouseDbt(DbtCliResource):
    """dbt through dagster-dbt, building the run's working file: when the run starts it puts
    TTV_WORKING_WAREHOUSE, the dbt profile's path (dbt_models/profiles.yml), into the
    environment that DbtCliResource hands the dbt process."""

    def setup_for_execution(self, context: dg.InitResourceContext) -> None:
        super().setup_for_execution(context)
        os.environ.update(paths.dbt_variables())


resources = {
    "dbt": WorkingWarehouseDbt(project_dir=DBT_PROJECT, dbt_executable=str(paths.DBT_EXECUTABLE)),
    "working_warehouse": WorkingWarehouse(),
}
