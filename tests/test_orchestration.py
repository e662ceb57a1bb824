"""The Dagster wiring around the pipeline: the two resources, dbt's own variable for the working
file, and the dbt manifest prepared at install rather than at import."""

import os
import shutil

import dagster as dg
import duckdb
import pytest

from dagster_project import paths
from dagster_project.defs.resources import WorkingWarehouse, resources
from dagster_project.lib import dbt_manifest, warehouse
from tests.conftest import query


def test_the_working_warehouse_resource_writes_the_working_file_of_ttv_warehouse(
    tmp_path, monkeypatch
):
    published = tmp_path / "warehouse.duckdb"
    monkeypatch.setenv("TTV_WAREHOUSE", str(published))
    working = tmp_path / "warehouse.duckdb.build" / "warehouse.duckdb"
    warehouse.mark_built("2026-06-01", "an earlier run")

    with pytest.raises(ZeroDivisionError):
        with WorkingWarehouse().get_connection() as con:
            con.execute("create table loaded as select 1 as n")
            raise ZeroDivisionError("a load that fails halfway")

    with pytest.raises(duckdb.ConnectionException):
        con.execute("select 1")  # closed, error or not: dbt opens the file next
    assert query(working, "select n from loaded") == [(1,)]
    assert warehouse.read_built() is None  # written to: no longer the build that was checked
    assert warehouse.read_lock(paths.run_lock_path())["pid"] == os.getpid()
    assert not published.exists()


def test_dbt_gets_the_working_file_in_a_variable_of_its_own(tmp_path, monkeypatch):
    published = tmp_path / "warehouse.duckdb"
    monkeypatch.setenv("TTV_WAREHOUSE", str(published))
    monkeypatch.delenv(paths.WORKING_WAREHOUSE_ENV, raising=False)  # restored afterwards

    resources["dbt"].setup_for_execution(dg.build_init_resource_context())

    assert os.environ["TTV_WORKING_WAREHOUSE"] == str(
        tmp_path / "warehouse.duckdb.build" / "warehouse.duckdb"
    )
    assert os.environ["TTV_WAREHOUSE"] == str(published)  # still the published file


def test_the_manifest_is_read_never_parsed_at_import(tmp_path):
    project = tmp_path / "dbt_models"
    shutil.copytree(
        paths.DBT_PROJECT_DIR,
        project,
        ignore=shutil.ignore_patterns("target", "logs", "dbt_packages"),
    )
    manifest = project / "target" / "manifest.json"

    with pytest.raises(
        dbt_manifest.ManifestMissing, match="no dbt manifest at .*: run `make install`"
    ):
        dbt_manifest.prepared_manifest(manifest, project)

    manifest.parent.mkdir()
    manifest.write_text("{}")
    assert dbt_manifest.prepared_manifest(manifest, project) == manifest
    model = project / "models" / "marts" / "account_ttv.sql"
    os.utime(model, (manifest.stat().st_mtime + 10,) * 2)  # a model edited after the parse
    with pytest.warns(UserWarning, match="older than a file of dbt_models/: run `make install`"):
        dbt_manifest.prepared_manifest(manifest, project)
