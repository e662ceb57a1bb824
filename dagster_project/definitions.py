"""Assembles the Dagster definitions from the concern folders, and nothing else."""

import dagster as dg

from dagster_project.defs.ingest.assets import landing_assets, ttv_catalogue
from dagster_project.defs.ingest.sensors import new_exports_sensor
from dagster_project.defs.publish.assets import published_warehouse
from dagster_project.defs.quality.checks import audit_checks, gx_checks
from dagster_project.defs.report.assets import ttv_report
from dagster_project.defs.resources import resources
from dagster_project.defs.schedules.schedules import ttv_daily_job, ttv_daily_schedule
from dagster_project.defs.transform.assets import ttv_dbt_models

defs = dg.Definitions(
    assets=[ttv_catalogue, *landing_assets, ttv_dbt_models, published_warehouse, ttv_report],
    asset_checks=[*gx_checks, *audit_checks],
    jobs=[ttv_daily_job],
    schedules=[ttv_daily_schedule],
    sensors=[new_exports_sensor],
    resources=resources,
    executor=dg.in_process_executor,
)
