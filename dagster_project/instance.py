"""The Dagster instance beside the warehouse (paths.dagster_home), with the project's settings.

`python -m dagster_project.instance` prepares it and prints its path (`make dev` uses it).
"""

import filecmp
import shutil
from pathlib import Path

import dagster as dg

from dagster_project import paths

SETTINGS = Path(__file__).with_name("dagster.yaml")


def prepare_home() -> Path:
    """Create the instance folder of the current warehouse and put the project's dagster.yaml in
    it (one run at a time, no telemetry)."""
    home = paths.dagster_home()
    home.mkdir(parents=True, exist_ok=True)
    target = home / "dagster.yaml"
    if not target.exists() or not filecmp.cmp(SETTINGS, target, shallow=False):
        shutil.copyfile(SETTINGS, target)
    return home


def instance() -> dg.DagsterInstance:
    """The persistent instance of the current warehouse, so `make dev` shows the runs of `make run`."""
    return dg.DagsterInstance.from_config(str(prepare_home()))


if __name__ == "__main__":
    print(prepare_home())
