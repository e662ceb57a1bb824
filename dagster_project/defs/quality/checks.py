"""Great Expectations suites (expectations/*.json) as blocking Dagster asset checks, and the
checks GX cannot express: volumes and reached milestones against the previously published
warehouse, the catalogue's events against the loaded ones, freshness against as-of.

Each check validates one table of the run's working file with GX Core, as SQL inside DuckDB (the
table its suite names). A failed expectation of GX severity "critical" fails the check with
severity ERROR: being blocking, it stops every asset downstream, publication included, and fails
the run with the reason as its first sentence. Only "warning" failures make a WARN check:
reported, and the warehouse is still published. Sources are checked right after they load,
before any model reads them; marts after dbt built them, before publication.
"""

from dataclasses import dataclass

import dagster as dg
import duckdb
from dagster_dbt import get_asset_key_for_model

from dagster_project import paths
from dagster_project.defs.transform.assets import ttv_dbt_models
from dagster_project.lib import audits, catalogue, quality

# DuckDB's working memory for one check; beyond it, it spills to disk. Uniqueness over a column
# of tens of millions of values is what needs it, and 1GB keeps the checks beside a running
# dagster dev and dbt on an 8GB machine.
MEMORY_LIMIT = "1GB"

LANDING = {
    name: dg.AssetKey(key)
    for name, key in (
        ("accounts", ["crm", "accounts"]),
        ("contracts", ["crm", "contracts"]),
        ("onboarding", ["crm", "onboarding"]),
        ("events", ["product", "events"]),
    )
}
SEGMENTS = dg.AssetKey(["config", "segments"])
MILESTONES = dg.AssetKey(["config", "milestones"])


def _mart(name: str) -> dg.AssetKey:
    return get_asset_key_for_model([ttv_dbt_models], name)


@dataclass(frozen=True)
class Guarded:
    """The suite expectations/<suite>.json, checked when `asset` materializes (and after `reads`)
    on the table the suite itself names (its `meta.table`: the one place that says it)."""

    asset: dg.AssetKey
    suite: str
    reads: tuple[dg.AssetKey, ...] = ()  # other assets the suite's SQL reads

    @property
    def check_name(self) -> str:
        return f"gx_{self.suite}"

    @property
    def suite_path(self):
        return paths.EXPECTATIONS_DIR / f"{self.suite}.json"

    @property
    def table(self) -> tuple[str, str]:
        """(schema, table) of the suite's `meta.table`."""
        return quality.suite_table(self.suite_path)


def _marts(*names: str, reads: tuple[dg.AssetKey, ...] = ()) -> list[Guarded]:
    """Each mart's suite, named like the mart, on the dbt asset that builds it."""
    return [Guarded(_mart(name), name, reads) for name in names]


GUARDED = [
    Guarded(LANDING["accounts"], "raw_accounts", reads=(SEGMENTS,)),
    Guarded(LANDING["contracts"], "raw_contracts"),
    Guarded(LANDING["onboarding"], "raw_onboarding"),
    # on the events the latest load added (raw.events_latest_load): a daily check costs the new
    # day; uniqueness against history is enforced by the loader's anti-join on event_id
    Guarded(LANDING["events"], "raw_events"),
    # the per-file accounting of every landing table, checked once all four have loaded
    Guarded(
        LANDING["events"],
        "raw_landed_files",
        reads=(LANDING["accounts"], LANDING["contracts"], LANDING["onboarding"]),
    ),
    Guarded(_mart("account_ttv"), "account_ttv", reads=(SEGMENTS, LANDING["accounts"])),
    Guarded(_mart("account_milestones"), "account_milestones", reads=(MILESTONES,)),
    *_marts(
        "journey_steps",
        "journey_step_summary",
        "cohort_ttv",
        "experiment_results",
        "free_to_paid",
        "feature_adoption",
        "ttv_benchmarks",
    ),
    # suites that compare with account_ttv read it (SPEC §9's analyses among them)
    *_marts(
        "ttv_retention",
        "account_revenue",
        "churn_reasons",
        "stalled_accounts",
        "quartile_profile",
        reads=(_mart("account_ttv"),),
    ),
]


def check_result(outcome: quality.SuiteOutcome) -> dg.AssetCheckResult:
    """The Dagster result of one suite: ERROR if an "error" expectation failed, WARN if only
    "warn" ones did; the metadata says which expectation, how many rows, which keys, and why."""
    failed = outcome.failures
    errors = [o for o in failed if o.severity == quality.ERROR]
    return dg.AssetCheckResult(
        passed=not failed,
        severity=dg.AssetCheckSeverity.ERROR if errors else dg.AssetCheckSeverity.WARN,
        description=outcome.summary(),
        metadata={
            "table": outcome.table,
            "rows": outcome.rows,
            "expectations": len(outcome.outcomes),
            "failed_error": len(errors),
            "failed_warn": len(failed) - len(errors),
            "failures": dg.MetadataValue.json(
                [
                    {
                        "expectation": o.expectation,
                        "column": o.column,
                        "severity": o.severity,
                        "unexpected_count": o.unexpected_count,
                        "examples": o.examples,
                        "keys": o.keys,
                        "message": o.message,
                        "why": o.why,
                    }
                    for o in failed
                ]
            ),
        },
    )


# The metadata key of the step failure that a failed blocking check raises: `make run` reports
# the check itself and leaves that step out of its summary (dagster_project/run.py).
BLOCKED_BY = "blocked_by_check"


def blocking_reason(asset: dg.AssetKey, check_name: str, outcome: quality.SuiteOutcome) -> str:
    """One sentence saying why a check blocks publication: its first ERROR failure, in words."""
    errors = [o for o in outcome.failures if o.severity == quality.ERROR]
    more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
    sentence = f"{errors[0].message}{more}"
    return f"Not published: check {asset.to_user_string()}:{check_name} failed: {sentence}" + (
        "" if sentence.endswith((".", "?", "!")) else "."
    )


def evaluate(context: dg.AssetCheckExecutionContext, outcome: quality.SuiteOutcome):
    """Yield the check's result. A failure of severity error is also logged as an error and
    fails the step with that sentence (`dg.Failure`), so the run's page leads with the reason
    instead of the stack trace of Dagster's generic "blocking asset check failed"."""
    result = check_result(outcome)
    yield result
    if not result.passed and result.severity == dg.AssetCheckSeverity.ERROR:
        (spec,) = context.check_specs
        reason = blocking_reason(spec.asset_key, spec.name, outcome)
        context.log.error(reason)
        raise dg.Failure(
            description=reason,
            metadata={BLOCKED_BY: f"{spec.asset_key.to_user_string()}:{spec.name}"},
        )


def _gx_check(guarded: Guarded) -> dg.AssetChecksDefinition:
    schema, table = guarded.table

    @dg.asset_check(
        asset=guarded.asset,
        name=guarded.check_name,
        blocking=True,
        additional_deps=list(guarded.reads),
        description=(
            f"Great Expectations suite expectations/{guarded.suite_path.name} on "
            f"{schema}.{table} of the working file."
        ),
    )
    def _check(context: dg.AssetCheckExecutionContext):
        try:
            outcome = quality.validate_table(
                paths.working_warehouse_path(),
                schema,
                table,
                guarded.suite_path,
                memory_limit=MEMORY_LIMIT,
            )
        except (LookupError, FileNotFoundError, quality.SuiteRunError, ValueError) as exc:
            raise dg.Failure(description=f"{guarded.check_name}: {exc}") from None
        yield from evaluate(context, outcome)

    return _check


gx_checks = [_gx_check(guarded) for guarded in GUARDED]


# ---- against the previously published warehouse, the catalogue and the as-of date ----------

CRM_TABLES = ("accounts", "contracts", "onboarding")
MARTS = sorted(
    (key for key in ttv_dbt_models.keys if key.path[0] == "marts"),
    key=lambda key: key.to_user_string(),
)


def _volume_check(asset: dg.AssetKey, schema: str, table: str) -> dg.AssetChecksDefinition:
    @dg.asset_check(
        asset=asset,
        name=audits.VOLUME_SUITE,
        blocking=True,
        description=(
            f"{schema}.{table} against the published warehouse: more than "
            "TTV_MAX_SHRINK (default 50%) fewer rows, or none, fails unless "
            "TTV_ACCEPT_VOLUME_CHANGE names it."
        ),
    )
    def _check(context: dg.AssetCheckExecutionContext):
        (outcome,) = audits.compare_volume(
            paths.working_warehouse_path(),
            paths.warehouse_path(),
            [(schema, table)],
            max_shrink=paths.max_shrink(),
            accepted=paths.accepted_volume_changes(),
            as_of=_run_as_of(context),
        )
        yield from evaluate(context, outcome)

    return _check


# one check per loaded CRM table and per mart (every dbt model in schema marts)
volume_checks = [_volume_check(LANDING[t], "raw", t) for t in CRM_TABLES] + [
    _volume_check(key, "marts", key.path[-1]) for key in MARTS
]


@dg.asset_check(
    asset=_mart("account_milestones"),
    name=audits.REACHED_SUITE,
    blocking=True,
    additional_deps=[MILESTONES],
    description="No milestone that accounts reached in the published warehouse is reached by none.",
)
def milestones_reached(context: dg.AssetCheckExecutionContext):
    yield from evaluate(
        context,
        audits.compare_reached(
            paths.working_warehouse_path(),
            paths.warehouse_path(),
            "marts",
            "account_milestones",
            paths.accepted_volume_changes(),
        ),
    )


@dg.asset_check(
    asset=LANDING["events"],
    name="catalogue_events",
    blocking=True,
    additional_deps=[MILESTONES, dg.AssetKey(["config", "milestone_events"])],
    description=(
        "Every event the catalogue names occurs in the loaded events (a typo would "
        "leave its milestone reached by no account); suggests the nearest names."
    ),
)
def catalogue_events(context: dg.AssetCheckExecutionContext):
    with duckdb.connect(str(paths.working_warehouse_path()), read_only=True) as con:
        unknown = catalogue.events_not_in_data(con)
    yield from evaluate(context, audits.unknown_events_outcome(unknown))


@dg.asset_check(
    asset=LANDING["events"],
    name=audits.FRESHNESS_SUITE,
    additional_deps=[LANDING[t] for t in CRM_TABLES],
    description=(
        "The newest event or CRM fact of each source is at most TTV_FRESHNESS_DAYS "
        "(default 3) days before as-of; a warning otherwise."
    ),
)
def freshness(context: dg.AssetCheckExecutionContext):
    yield from evaluate(
        context,
        audits.check_freshness(
            paths.working_warehouse_path(), _run_as_of(context), paths.freshness_days()
        ),
    )


def _run_as_of(context):
    """The run's as-of date: its `ttv/as_of` tag (the schedule and `make run` set it), else
    TTV_AS_OF, else today."""
    return paths.as_of_date(context.run.tags.get("ttv/as_of") if context.run else None)


audit_checks = [*volume_checks, milestones_reached, catalogue_events, freshness]
