"""Keeps the dbt manifest that Dagster builds its asset graph from in step with the dbt project.

`dagster dev` re-parses by itself (DbtProject.prepare_if_dev); `make run`, the tests and a fresh
clone have no manifest yet, or one older than an edited model, so they parse here first.
"""

import subprocess
from pathlib import Path

WATCHED = ("models", "macros", "tests", "dbt_project.yml", "profiles.yml")


def newest_source_mtime(project_dir: Path) -> float:
    """The latest modification time of any file dbt reads to build the manifest."""
    newest = 0.0
    for name in WATCHED:
        path = project_dir / name
        files = [path] if path.is_file() else [p for p in path.rglob("*") if p.is_file()]
        newest = max([newest, *(f.stat().st_mtime for f in files)])
    return newest


def ensure_manifest(project_dir: Path, manifest: Path, dbt_executable: Path) -> Path:
    """Run `dbt parse` if the manifest is missing or older than the project's sources."""
    if manifest.exists() and manifest.stat().st_mtime >= newest_source_mtime(project_dir):
        return manifest
    done = subprocess.run(
        [str(dbt_executable), "parse", "--quiet", "--project-dir", str(project_dir),
         "--profiles-dir", str(project_dir)],
        cwd=project_dir, capture_output=True, text=True,
    )
    if done.returncode != 0:
        raise RuntimeError(f"dbt parse failed in {project_dir}:\n{done.stdout}{done.stderr}")
    return manifest
