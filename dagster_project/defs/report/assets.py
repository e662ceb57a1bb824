"""The TTV report as an asset: an HTML page beside the published warehouse, after publication.

It reads the published file only (never the working file), so it shows what analysts see; when
publication is skipped (a blocking check failed) Dagster skips the report too and the previous
report still matches the previous warehouse.
"""

import dagster as dg

from dagster_project import paths
from dagster_project.lib import report


@dg.asset(
    key="ttv_report",
    group_name="publish",
    kinds={"html"},
    deps=["published_warehouse"],
    description=(
        "The TTV report: one self-contained HTML file beside the published warehouse "
        "(<TTV_WAREHOUSE>.report.html), with median TTV this month, quarter and trailing 12 "
        "months, bands, segments and CSMs, trend, cohort comparisons, retention, stalled "
        "accounts and journey bottlenecks, each per segment or segment group."
    ),
)
def ttv_report(context: dg.AssetExecutionContext) -> dg.MaterializeResult:
    written = report.write_report(paths.warehouse_path())
    context.log.info(f"report {written.path} as of {written.as_of} in {written.seconds} s")
    return dg.MaterializeResult(
        metadata={
            "summary": dg.MetadataValue.md(written.markdown()),
            "path": dg.MetadataValue.path(str(written.path)),
            "as_of": written.as_of.isoformat(),
            "sections": dg.MetadataValue.json(written.sections),
            "left_out": dg.MetadataValue.json([f"{o.title}: {o.why}" for o in written.omitted]),
            "size_bytes": written.size_bytes,
            "report_seconds": written.seconds,
        }
    )
