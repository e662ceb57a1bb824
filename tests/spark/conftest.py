"""The hand-made fixture warehouse built on Spark, next to the same one built on DuckDB.

Run by `make test-spark` (`pytest -m spark tests/spark`), never by `make test`: these tests need
the `[spark]` extra and Java 17. Spark runs in this process (dbt-spark's `session` method through
dbt's Python entry point), so the sources, the dbt builds and the reads below share one Spark
session and one Derby metastore in a temporary folder: a JVM starts once, not once per step.
"""

import os
import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest

from dagster_project import paths
from dagster_project.lib import spark_sources
from tests.conftest import MARTS as MART_TABLES
from tests.conftest import SMALL_AS_OF
from tests.spark.compare import Table, read_spark_table


@dataclass(frozen=True)
class DbtRun:
    success: bool
    results: list  # dbt's node results: .node.name, .status, .message
    log: str


def run_dbt(args: list[str], project_dir: Path, output_dir: Path) -> DbtRun:
    """One dbt command in this process, its files kept out of the project (target/ is Dagster's)."""
    from dbt.cli.main import dbtRunner

    lines = []  # what dbt prints (its debug events stay in the log file)

    def keep(event):
        if event.info.level != "debug":
            lines.append(event.info.msg)

    runner = dbtRunner(callbacks=[keep])
    outcome = runner.invoke(
        [
            *args,
            "--project-dir",
            str(project_dir),
            "--profiles-dir",
            str(project_dir),
            "--target-path",
            str(output_dir / "target"),
            "--log-path",
            str(output_dir / "logs"),
        ]
    )
    results = list(getattr(outcome.result, "results", None) or [])
    if outcome.exception is not None:
        lines.append(f"dbt raised: {outcome.exception}")
    return DbtRun(outcome.success, results, "\n".join(str(line) for line in lines))


def build_args(target: str) -> list[str]:
    return ["build", "--target", target, "--vars", f'{{"as_of": "{SMALL_AS_OF}"}}']


@pytest.fixture(scope="session")
def spark_dir(tmp_path_factory) -> Path:
    """The Spark session's warehouse and metastore folder (TTV_SPARK_DIR of the spark profile)."""
    folder = tmp_path_factory.mktemp("spark")
    with pytest.MonkeyPatch.context() as monkeypatch:
        monkeypatch.setenv("TTV_SPARK_DIR", str(folder))
        # Spark binds its driver to this machine's address: loopback, whatever the hostname says.
        monkeypatch.setenv("SPARK_LOCAL_IP", os.environ.get("SPARK_LOCAL_IP", "127.0.0.1"))
        yield folder


@dataclass(frozen=True)
class SparkBuild:
    run: DbtRun
    marts: dict[str, Table]  # every mart, read from Spark right after the build


@pytest.fixture(scope="session")
def spark_build(built_small_warehouse, spark_dir) -> SparkBuild:
    """The fixture landing zone built on Spark from the DuckDB ingest's sources, marts read back."""
    location = str(spark_dir / "sources")
    spark_sources.export_sources(spark_sources.sources_database(built_small_warehouse), location)
    spark_sources.register_sources(
        location, project_dir=paths.DBT_PROJECT_DIR, output_dir=spark_dir / "dbt"
    )
    run = run_dbt(build_args("spark"), paths.DBT_PROJECT_DIR, spark_dir / "dbt")
    assert run.success, f"dbt build --target spark failed:\n{run.log}"
    # Read every mart now: a later test that rebuilds a model on purpose may drop its table.
    return SparkBuild(run, {table: read_spark_table(f"marts.{table}") for table in MART_TABLES})


@pytest.fixture
def project_copy(tmp_path) -> Path:
    """A copy of the dbt project to change without touching the real one."""
    copy = tmp_path / "dbt_models"
    shutil.copytree(
        paths.DBT_PROJECT_DIR,
        copy,
        ignore=shutil.ignore_patterns("target", "logs", "dbt_packages", ".user.yml"),
    )
    return copy
