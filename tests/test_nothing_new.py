"""Nothing new, nothing done (SPEC §8): a run whose inputs are those of the last publication says
so and stops before loading anything; any change of a landed file, the catalogue, a setting or
the as-of date gives the next run its work back (lib/fingerprint.py)."""

import hashlib
import shutil

import pytest

from dagster_project import paths, run
from dagster_project.lib import fingerprint
from tests.conftest import SMALL_AS_OF, SMALL_LANDING


def sha256(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture
def published(built_small_warehouse, tmp_path, monkeypatch):
    """The session's published warehouse of the hand-made zone and the inputs its run recorded,
    copied (modification time kept) beside a build folder of their own, as `make run` would see
    them after that run (the session's build folder may be in use by another test worker)."""
    warehouse = tmp_path / "warehouse.duckdb"
    shutil.copy2(built_small_warehouse, warehouse)
    paths.build_dir(warehouse).mkdir()
    shutil.copy2(
        paths.build_dir(built_small_warehouse) / fingerprint.RECORD_FILE,
        paths.build_dir(warehouse) / fingerprint.RECORD_FILE,
    )
    monkeypatch.setenv("TTV_LANDING_DIR", str(SMALL_LANDING))
    monkeypatch.setenv("TTV_WAREHOUSE", str(warehouse))
    monkeypatch.setenv("TTV_AS_OF", SMALL_AS_OF)
    for name in (*fingerprint.SETTINGS, "TTV_CATALOGUE", "TTV_SOURCES", "TTV_FORCE"):
        monkeypatch.delenv(name, raising=False)
    return warehouse


def test_a_run_with_nothing_new_says_so_and_touches_nothing(published, capsys):
    before = sha256(published)
    logs = sorted(paths.run_log_dir(published).glob("run-*.log"))
    assert run.main() == run.EXIT_OK
    out = capsys.readouterr().out.splitlines()
    assert out[-1].startswith(
        f"nothing new: the landing zone, catalogue, registry, settings, code "
        f"and as-of ({SMALL_AS_OF}) are those of the run that published "
        f"{published} at "
    )
    assert out[-1].endswith("; nothing was loaded, built or published (TTV_FORCE=1 runs anyway)")
    assert sha256(published) == before
    # stopped before the job: no Dagster run, no new log
    assert sorted(paths.run_log_dir(published).glob("run-*.log")) == logs


def test_any_change_of_the_inputs_gives_the_run_its_work_back(published, tmp_path, monkeypatch):
    digest = fingerprint.inputs_digest(SMALL_AS_OF)
    assert fingerprint.unchanged_since(digest) is not None
    # a copy of the landing zone (same names, sizes and modification times) is the same input
    copy = tmp_path / "landing"
    shutil.copytree(SMALL_LANDING, copy)
    assert fingerprint.inputs_digest(SMALL_AS_OF, copy) == digest
    # ... until a file lands or changes
    (copy / "product" / "events" / "2026_01.csv").open("a").write(
        "E9999,A01,u0101,login,2026-05-30T12:00:00Z,{}\n"
    )
    changed = {
        "a landed file": fingerprint.inputs_digest(SMALL_AS_OF, copy),
        "the as-of date": fingerprint.inputs_digest("2026-06-02"),
    }
    monkeypatch.setenv("TTV_MAX_SHRINK", "0.4")
    changed["a setting"] = fingerprint.inputs_digest(SMALL_AS_OF)
    monkeypatch.delenv("TTV_MAX_SHRINK")
    catalogue = tmp_path / "ttv.yml"
    catalogue.write_text(paths.CATALOGUE_FILE.read_text() + "\n# edited\n")
    monkeypatch.setenv("TTV_CATALOGUE", str(catalogue))
    changed["the catalogue"] = fingerprint.inputs_digest(SMALL_AS_OF)
    for what, other in changed.items():
        assert other != digest, what
        assert fingerprint.unchanged_since(other) is None, what
    # the published file replaced by another one: not the recorded publication any more
    monkeypatch.delenv("TTV_CATALOGUE")
    other_file = tmp_path / "other.duckdb"
    shutil.copy(published, other_file)
    assert fingerprint.unchanged_since(digest, other_file) is None
