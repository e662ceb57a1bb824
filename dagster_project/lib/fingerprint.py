"""Nothing new, nothing done (SPEC §8, issue 14): a run's inputs in one digest.

A published warehouse is a function of the landing zone, the catalogue and registry, the as-of
date, the settings that change what is published, and the code. After a publication the digest
of those inputs is recorded beside the warehouse (`<warehouse>.build/published_inputs.json`);
a later run whose inputs have the same digest, with the published file still the one recorded,
has nothing to do, and says so in seconds instead of loading, building and checking again.

Landed files are compared by path, size and modification time (what the loader itself uses to
see a file as new), so the digest reads no data. The code is read whole: the Python package,
the dbt project's models and macros, and the expectation suites.
"""

import hashlib
import json
import os
import time
from pathlib import Path

from dagster_project import paths

RECORD_FILE = "published_inputs.json"
# settings that change what a run publishes, besides TTV_AS_OF
SETTINGS = ("TTV_MAX_SHRINK", "TTV_ACCEPT_VOLUME_CHANGE", "TTV_FRESHNESS_DAYS")
CODE = (
    (paths.PROJECT_DIR / "dagster_project", "*.py"),
    (paths.DBT_PROJECT_DIR / "models", "*"),
    (paths.DBT_PROJECT_DIR / "macros", "*"),
    (paths.DBT_PROJECT_DIR / "tests", "*"),
    (paths.DBT_PROJECT_DIR, "dbt_project.yml"),
    (paths.EXPECTATIONS_DIR, "*.json"),
)


def _files(folder: Path, pattern: str) -> list[Path]:
    return sorted(p for p in folder.rglob(pattern) if p.is_file() and "__pycache__" not in p.parts)


def inputs_digest(as_of: str, landing_dir: Path | None = None) -> str:
    """The digest of everything a run's published tables depend on."""
    landing = Path(landing_dir or paths.landing_dir())
    digest = hashlib.sha256()

    def add(*parts) -> None:
        digest.update(json.dumps(parts, default=str).encode())
        digest.update(b"\n")

    add("as_of", as_of)
    for name in SETTINGS:
        add("setting", name, os.environ.get(name, ""))
    for config in (paths.catalogue_file(), paths.sources_file()):
        add("config", config.name, hashlib.sha256(config.read_bytes()).hexdigest())
    for path in _files(landing, "*"):
        stat = path.stat()
        add("landed", path.relative_to(landing).as_posix(), stat.st_size, stat.st_mtime_ns)
    for folder, pattern in CODE:
        for path in _files(folder, pattern):
            add(
                "code",
                path.relative_to(paths.PROJECT_DIR).as_posix(),
                hashlib.sha256(path.read_bytes()).hexdigest(),
            )
    return digest.hexdigest()


def _published_stamp(published: Path) -> list[int] | None:
    try:
        stat = published.stat()
    except FileNotFoundError:
        return None
    return [stat.st_size, stat.st_mtime_ns]


def record_publication(digest: str, as_of: str, warehouse: Path | None = None) -> None:
    """Record the inputs of the publication that has just replaced the published file."""
    published = Path(warehouse or paths.warehouse_path())
    target = paths.build_dir(published) / RECORD_FILE
    target.parent.mkdir(parents=True, exist_ok=True)
    temporary = target.with_suffix(".tmp")
    temporary.write_text(
        json.dumps(
            {
                "digest": digest,
                "as_of": as_of,
                "published": _published_stamp(published),
                "published_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            }
        )
    )
    os.replace(temporary, target)


def unchanged_since(digest: str, warehouse: Path | None = None) -> str | None:
    """When the published file is the one built from these very inputs: a sentence saying so
    (for the run's output, or a schedule's skip reason). None: there is work to do."""
    published = Path(warehouse or paths.warehouse_path())
    try:
        record = json.loads((paths.build_dir(published) / RECORD_FILE).read_text())
    except (FileNotFoundError, json.JSONDecodeError):
        return None
    if record.get("digest") != digest or record.get("published") != _published_stamp(published):
        return None
    return (
        f"nothing new: the landing zone, catalogue, registry, settings, code and as-of "
        f"({record['as_of']}) are those of the run that published {published} at "
        f"{record['published_at']}; nothing was loaded, built or published"
    )


def forget(warehouse: Path | None = None) -> None:
    """Forget the recorded inputs: the next run does the whole work (a failed or forced run)."""
    published = Path(warehouse or paths.warehouse_path())
    (paths.build_dir(published) / RECORD_FILE).unlink(missing_ok=True)
