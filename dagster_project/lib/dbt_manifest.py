"""The dbt project and its manifest, the one place that knows where the manifest is.

Dagster builds its asset graph from `dbt_models/target/manifest.json`. `make install` prepares it
once (`python -m dagster_project.lib.dbt_manifest`: `dbt parse`), and again whenever a file dbt
parses has changed since, so importing the definitions never runs dbt.
"""

import os
import subprocess
import sys
import warnings
from pathlib import Path

from dagster_dbt import DbtProject

from dagster_project import paths

DBT_PROJECT = DbtProject(project_dir=paths.DBT_PROJECT_DIR, profiles_dir=paths.DBT_PROJECT_DIR)
# What dbt reads to build the manifest (dbt_project.yml's paths); the Makefile watches the same.
WATCHED = ("models", "macros", "tests", "dbt_project.yml", "profiles.yml")


def ttv_bands() -> list[str]:
    """The TTV bands in order, fastest first, as dbt_project.yml's `ttv_bands` var declares them
    (the one declaration: the models band with it, the GX suites and the report read it here)."""
    import yaml

    project = yaml.safe_load((paths.DBT_PROJECT_DIR / "dbt_project.yml").read_text())
    return [band["band"] for band in project["vars"]["ttv_bands"]]


def incremental_relations(manifest: Path | None = None) -> list[str]:
    """`schema.table` of every incremental model of the prepared manifest: the tables a run
    extends rather than rebuilds, which the events load drops when it replaced earlier events
    (a re-delivered file), so that dbt builds them again from everything."""
    import json

    nodes = json.loads((manifest or manifest_path()).read_text())["nodes"].values()
    return sorted(
        f"{node['schema']}.{node['alias']}"
        for node in nodes
        if node["resource_type"] == "model" and node["config"]["materialized"] == "incremental"
    )


class ManifestMissing(FileNotFoundError):
    """The dbt manifest has not been prepared."""


def manifest_path() -> Path:
    return DBT_PROJECT.manifest_path


def newest_source_mtime(project_dir: Path = paths.DBT_PROJECT_DIR) -> float:
    """The latest modification time of any file dbt reads to build the manifest."""
    newest = 0.0
    for name in WATCHED:
        path = project_dir / name
        files = [path] if path.is_file() else [p for p in path.rglob("*") if p.is_file()]
        newest = max([newest, *(f.stat().st_mtime for f in files)])
    return newest


def prepared_manifest(
    manifest: Path | None = None, project_dir: Path = paths.DBT_PROJECT_DIR
) -> Path:
    """The manifest's path, for `@dbt_assets`; a sentence if it was never prepared, a warning if
    a dbt file changed after it (the asset graph may lack a new model until `make install`)."""
    manifest = manifest or manifest_path()
    if not manifest.exists():
        raise ManifestMissing(
            f"no dbt manifest at {manifest}: run `make install` (or "
            "`python -m dagster_project.lib.dbt_manifest`) first"
        )
    if manifest.stat().st_mtime < newest_source_mtime(project_dir):
        warnings.warn(
            f"the dbt manifest {manifest} is older than a file of dbt_models/: run "
            "`make install` to parse it again",
            stacklevel=2,
        )
    return manifest


def prepare() -> Path:
    """`dbt parse` into the project's target/: the manifest Dagster reads."""
    done = subprocess.run(
        [
            str(paths.DBT_EXECUTABLE),
            "parse",
            "--quiet",
            "--project-dir",
            str(paths.DBT_PROJECT_DIR),
            "--profiles-dir",
            str(paths.DBT_PROJECT_DIR),
        ],
        cwd=paths.DBT_PROJECT_DIR,
        capture_output=True,
        text=True,
        env={**os.environ, **paths.dbt_variables()},
    )
    if done.returncode != 0:
        raise RuntimeError(
            f"dbt parse failed in {paths.DBT_PROJECT_DIR}:\n{done.stdout}{done.stderr}"
        )
    return manifest_path()


if __name__ == "__main__":
    try:
        print(f"dbt manifest: {prepare()}")
    except RuntimeError as exc:
        sys.exit(str(exc))
