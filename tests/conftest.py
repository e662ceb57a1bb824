"""Shared fixtures: build a real warehouse from a landing zone with the real Dagster job.

A full run (load, dbt build, checks, publication) costs about 50 s of CPU, so each hand-made
landing zone is built once per `make test` and only read by the tests: under pytest-xdist
(`make test` runs two workers) the first worker to need a build does it under a file lock and the
other reuses the file. A test that changes a built warehouse works on its own copy in tmp_path.
"""

import fcntl
import os
import pickle
from pathlib import Path

import duckdb
import pytest

FIXTURES = Path(__file__).parent / "fixtures"
SMALL_LANDING = FIXTURES / "landing_small"
SMALL_AS_OF = "2026-06-01"
# The analyst contract's marts (SPEC §4, §4.1, §9), in the order the SPEC lists them: the one
# list the tests compare builds with (tests/test_definitions.py pins it against the asset graph)
MARTS = (
    "account_milestones",
    "account_ttv",
    "journey_steps",
    "journey_step_summary",
    "cohort_ttv",
    "ttv_retention",
    "account_revenue",
    "churn_reasons",
    "stalled_accounts",
    "quartile_profile",
    "experiment_results",
    "free_to_paid",
    "feature_adoption",
    "ttv_benchmarks",
)


def build_warehouse(monkeypatch, landing_dir: Path, warehouse: Path, as_of: str):
    """Run the daily job (ingest, dbt build, checks) on a landing zone; return the outcome."""
    from dagster_project.run import run_daily

    monkeypatch.setenv("TTV_LANDING_DIR", str(landing_dir))
    monkeypatch.setenv("TTV_WAREHOUSE", str(warehouse))
    monkeypatch.setenv("TTV_AS_OF", as_of)
    return run_daily(as_of)


def shared_build(tmp_path_factory, name: str, landing_dir: Path, as_of: str):
    """The published warehouse built from `landing_dir` as of `as_of`, and the run's outcome,
    built once for the whole test session, whichever xdist worker asks first. Read it only."""
    base = tmp_path_factory.getbasetemp()
    # under xdist each worker has its own basetemp (popen-gwN) inside the session's one
    root = base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base
    folder = root / f"shared-{name}"
    folder.mkdir(exist_ok=True)
    warehouse, outcome_file = folder / "warehouse.duckdb", folder / "outcome.pickle"
    with open(folder / "build.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # released when the file closes
        if not outcome_file.exists():
            with pytest.MonkeyPatch.context() as monkeypatch:
                outcome = build_warehouse(monkeypatch, landing_dir, warehouse, as_of)
            outcome_file.write_bytes(pickle.dumps(outcome))
        outcome = pickle.loads(outcome_file.read_bytes())
    assert outcome.success, "\n".join(outcome.lines)
    return warehouse, outcome


@pytest.fixture(scope="session")
def small_run(tmp_path_factory):
    """The hand-made landing zone built as of 2026-06-01 (see tests/test_end_to_end.py):
    the published warehouse's path and the run's outcome."""
    return shared_build(tmp_path_factory, "small", SMALL_LANDING, SMALL_AS_OF)


@pytest.fixture(scope="session")
def built_small_warehouse(small_run) -> Path:
    return small_run[0]


def query(warehouse: Path, sql: str, params=None) -> list[tuple]:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return con.execute(sql, params or []).fetchall()


def pytest_configure(config):
    """Under xdist, the controller prepares the dbt manifest before the workers start: each
    worker's import of the definitions would otherwise run `dbt parse` on a fresh clone, both
    writing dbt_models/target/manifest.json at once."""
    if getattr(config.option, "numprocesses", None) and not hasattr(config, "workerinput"):
        import dagster_project.defs.transform.assets  # noqa: F401  (ensure_manifest on import)


@pytest.hookimpl(tryfirst=True)  # before xdist's own, which reads the marks
def pytest_collection_modifyitems(config, items):
    """Under `--dist loadgroup`, the tests sharing a module-scoped fixture (a built warehouse, a
    generated landing zone) go to one worker, so that the fixture is made once."""
    for item in items:
        info = getattr(item, "_fixtureinfo", None)
        if info is None:
            continue
        if any(
            d.scope == "module" for defs in info.name2fixturedefs.values() for d in defs if d.baseid
        ):  # baseid "": a plugin's fixture (pytest's own, xdist's)
            item.add_marker(pytest.mark.xdist_group(item.nodeid.split("::")[0]))


# Once Great Expectations has loaded its SQLAlchemy dialect for DuckDB, duckdb's bindings print
# "nanobind: leaked N instances" at interpreter shutdown (module-level type constants still
# referenced while modules are torn down); nothing leaks while running. Exit right after pytest
# has reported, so its summary stays the last line of the output. (Not in an xdist worker: the
# controller still has to hear from it; the controller itself never loads Great Expectations.)
_exit_status = {}


def pytest_sessionfinish(session, exitstatus):
    _exit_status["code"] = int(exitstatus)


def pytest_unconfigure(config):
    if "code" in _exit_status and not hasattr(config, "workerinput"):
        import sys

        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(_exit_status["code"])
