"""The new-exports sensor starts the job when files land, and only then."""

import shutil

import dagster as dg

from dagster_project.defs.ingest.sensors import new_exports_sensor
from tests.conftest import SMALL_LANDING


def test_sensor_runs_once_per_new_landing_state(tmp_path, monkeypatch):
    landing_dir = tmp_path / "landing"
    shutil.copytree(SMALL_LANDING, landing_dir)
    monkeypatch.setenv("TTV_LANDING_DIR", str(landing_dir))
    monkeypatch.setenv("TTV_WAREHOUSE", str(tmp_path / "never_built.duckdb"))
    monkeypatch.setenv("TTV_AS_OF", "2026-06-01")

    first = new_exports_sensor.evaluate_tick(dg.build_sensor_context(cursor=None))
    assert len(first.run_requests) == 1
    request = first.run_requests[0]
    assert request.run_config["ops"]["ttv_dbt_models"]["config"]["as_of"] == "2026-06-01"
    assert request.tags["ttv/trigger"] == "sensor"
    assert request.tags["ttv/warehouse"] == str(tmp_path / "never_built.duckdb")

    again = new_exports_sensor.evaluate_tick(dg.build_sensor_context(cursor=first.cursor))
    assert again.run_requests == [] and again.skip_message.startswith("no new or changed files")

    (landing_dir / "product" / "events" / "2026_06.csv").write_text(
        "event_id,account_id,user_id,event_name,occurred_at,properties\n"
    )
    after = new_exports_sensor.evaluate_tick(dg.build_sensor_context(cursor=first.cursor))
    assert len(after.run_requests) == 1
    assert after.cursor != first.cursor


def test_first_tick_records_a_cursor_and_starts_nothing_for_published_files(
    tmp_path, monkeypatch, built_small_warehouse
):
    """`make dev` on a warehouse that has loaded every landed file: the sensor's first tick
    records where the landing zone stands instead of launching a full run."""
    landing_dir = tmp_path / "landing"
    shutil.copytree(SMALL_LANDING, landing_dir)
    monkeypatch.setenv("TTV_LANDING_DIR", str(landing_dir))
    monkeypatch.setenv("TTV_WAREHOUSE", str(built_small_warehouse))

    first = new_exports_sensor.evaluate_tick(dg.build_sensor_context(cursor=None))
    assert first.run_requests == []
    assert first.skip_message == "cursor recorded: every landed file is already published"
    assert first.cursor

    (landing_dir / "product" / "events" / "2026_06.csv").write_text(
        "event_id,account_id,user_id,event_name,occurred_at,properties\n"
    )
    after = new_exports_sensor.evaluate_tick(dg.build_sensor_context(cursor=first.cursor))
    assert len(after.run_requests) == 1


def test_first_tick_starts_a_run_for_a_file_the_published_warehouse_lacks(
    tmp_path, monkeypatch, built_small_warehouse
):
    landing_dir = tmp_path / "landing"
    shutil.copytree(SMALL_LANDING, landing_dir)
    (landing_dir / "product" / "events" / "2026_06.csv").write_text(
        "event_id,account_id,user_id,event_name,occurred_at,properties\n"
    )
    monkeypatch.setenv("TTV_LANDING_DIR", str(landing_dir))
    monkeypatch.setenv("TTV_WAREHOUSE", str(built_small_warehouse))

    first = new_exports_sensor.evaluate_tick(dg.build_sensor_context(cursor=None))
    assert len(first.run_requests) == 1
