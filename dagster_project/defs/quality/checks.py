"""Great Expectations suites (expectations/*.json) as blocking Dagster asset checks.

Each check validates one warehouse table with GX Core in an ephemeral context, as SQL inside
DuckDB. A failing expectation of severity "error" fails the check and, being blocking, stops the
assets downstream of it; "warn" failures are reported and do not block.
"""

import dagster as dg
from dagster_dbt import get_asset_key_for_model

from dagster_project import paths
from dagster_project.defs.transform.assets import ttv_dbt_models
from dagster_project.lib import quality

# (asset key, warehouse schema, table, suite file): one suite per guarded table.
GUARDED = [
    (dg.AssetKey(["product", "events"]), "raw", "events", "raw_events.json"),
    (get_asset_key_for_model([ttv_dbt_models], "account_ttv"), "marts", "account_ttv",
     "account_ttv.json"),
]


def _gx_check(asset_key: dg.AssetKey, schema: str, table: str, suite_file: str):
    suite_name = suite_file.removesuffix(".json")

    @dg.asset_check(
        asset=asset_key,
        name=f"gx_{suite_name}",
        blocking=True,
        description=f"Great Expectations suite expectations/{suite_file} on {schema}.{table}.",
    )
    def _check() -> dg.AssetCheckResult:
        outcome = quality.validate_table(
            paths.warehouse_path(), schema, table, paths.EXPECTATIONS_DIR / suite_file
        )
        failed = [o for o in outcome.outcomes if not o.success]
        return dg.AssetCheckResult(
            passed=outcome.passed,
            severity=dg.AssetCheckSeverity.ERROR,
            description=outcome.summary(),
            metadata={
                "rows": outcome.rows,
                "expectations": len(outcome.outcomes),
                "failed": len(failed),
                "failures": dg.MetadataValue.json([
                    {"expectation": o.expectation, "column": o.column, "severity": o.severity,
                     "unexpected_count": o.unexpected_count, "examples": o.examples,
                     "message": o.message}
                    for o in failed
                ]),
            },
        )

    return _check


gx_checks = [_gx_check(*guarded) for guarded in GUARDED]
