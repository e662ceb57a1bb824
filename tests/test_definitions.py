"""The Dagster definitions load and hold the asset graph, checks and schedule the README promises."""

import datetime as dt

import dagster as dg

from dagster_project.definitions import defs
from dagster_project.defs.schedules.schedules import ttv_daily_schedule
from tests.conftest import MARTS


def test_asset_graph_runs_from_landing_zone_to_every_mart():
    graph = defs.resolve_asset_graph()
    keys = {key.to_user_string() for key in graph.get_all_asset_keys()}
    ingest = {
        "crm/accounts",
        "crm/contracts",
        "crm/onboarding",
        "product/events",
        "config/milestones",
        "config/journeys",
        "config/segments",
        "config/milestone_events",
        "config/milestone_targets",
    }
    marts = {f"marts/{name}" for name in MARTS}
    assert ingest <= keys
    assert marts <= keys
    # the dbt sources are wired to the ingest assets
    parents = graph.get(dg.AssetKey(["staging", "stg_product__events"])).parent_keys
    assert dg.AssetKey(["product", "events"]) in parents


def test_great_expectations_suites_are_blocking_checks():
    graph = defs.resolve_asset_graph()
    checks = {(c.asset_key.to_user_string(), c.name) for c in graph.asset_check_keys}
    assert ("product/events", "gx_raw_events") in checks
    assert ("marts/account_ttv", "gx_account_ttv") in checks
    check_defs = {c.check_key.name: c for c in defs.asset_checks}
    assert all(
        next(iter(check_defs[name].check_specs)).blocking
        for name in ("gx_raw_events", "gx_account_ttv")
    )


def test_schedule_runs_daily_at_six_utc_as_of_the_scheduled_day():
    assert ttv_daily_schedule.cron_schedule == "0 6 * * *"
    assert ttv_daily_schedule.execution_timezone == "UTC"
    context = dg.build_schedule_context(
        scheduled_execution_time=dt.datetime(2026, 3, 5, 6, 0, tzinfo=dt.UTC)
    )
    request = ttv_daily_schedule.evaluate_tick(context).run_requests[0]
    assert request.run_config["ops"]["ttv_dbt_models"]["config"]["as_of"] == "2026-03-05"
    assert request.run_key == "2026-03-05"


def test_schedule_is_on_when_the_daemon_starts():
    assert ttv_daily_schedule.default_status == dg.DefaultScheduleStatus.RUNNING


def test_every_guarded_table_has_a_blocking_suite_and_publication_comes_last():
    from dagster_project.defs.quality.checks import GUARDED

    graph = defs.resolve_asset_graph()
    checks = {(c.asset_key.to_user_string(), c.name) for c in graph.asset_check_keys}
    for source in ("accounts", "contracts", "onboarding"):
        assert ("crm/" + source, f"gx_raw_{source}") in checks
    assert ("product/events", "gx_raw_landed_files") in checks
    for mart in (
        "account_milestones",
        "account_ttv",
        "journey_steps",
        "journey_step_summary",
        "cohort_ttv",
        "ttv_retention",
    ):
        assert (f"marts/{mart}", f"gx_{mart}") in checks
    check_defs = {c.check_key.name: c for c in defs.asset_checks}
    assert all(next(iter(check_defs[g.check_name].check_specs)).blocking for g in GUARDED)
    # the published warehouse depends on every mart and every loaded table
    parents = graph.get(dg.AssetKey("published_warehouse")).parent_keys
    assert {f"marts/{m}" for m in ("account_ttv", "cohort_ttv", "ttv_retention")} <= {
        k.to_user_string() for k in parents
    }
    assert {
        dg.AssetKey(["crm", "accounts"]),
        dg.AssetKey(["product", "events"]),
        dg.AssetKey(["config", "segments"]),
    } <= parents
    assert dg.AssetKey("published_warehouse") in ttv_daily_job_keys()


def ttv_daily_job_keys():
    job = defs.resolve_job_def("ttv_daily")
    return job.asset_layer.asset_graph.get_all_asset_keys()


def test_each_suite_names_its_table_once_and_is_checked_on_it():
    """The suite's meta.table is the one place that names its table (issue 11: GUARDED had
    drifted from raw_events.json); every suite in expectations/ is a check, once."""
    from dagster_project.defs.quality.checks import GUARDED
    from dagster_project.paths import EXPECTATIONS_DIR

    assert sorted(g.suite for g in GUARDED) == sorted(
        p.stem for p in EXPECTATIONS_DIR.glob("*.json")
    )
    events = next(g for g in GUARDED if g.suite == "raw_events")
    assert events.table == ("raw", "events_latest_load")
    specs = {spec.name: spec for c in defs.asset_checks for spec in c.check_specs}
    for guarded in GUARDED:
        schema, table = guarded.table
        assert f" on {schema}.{table} of the working file" in specs[guarded.check_name].description
