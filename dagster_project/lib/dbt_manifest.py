"""Keeps the dbt manifest that Dagster builds its asset graph from in step with the dbt project.

`dagster dev` re-parses by itself (DbtProject.prepare_if_dev); `make run`, the tests and a fresh
clone have no manifest yet, or one older than an edited model, so they parse here first.
"""

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


def ensure_manifest(project) -> Path:
    """Parse the dbt project if its manifest is missing or older than its sources."""
    manifest = Path(project.manifest_path)
    if not manifest.exists() or manifest.stat().st_mtime < newest_source_mtime(Path(project.project_dir)):
        project.preparer.prepare(project)
    return manifest
