"""Every path and environment-variable default of the project, in one place.

Locations come from environment variables with defaults relative to this file, never from the
working directory. They are read when called, so a test or a run can point them elsewhere.
"""

import datetime as dt
import os
import sys
from pathlib import Path

PROJECT_DIR = Path(__file__).resolve().parent.parent
DBT_PROJECT_DIR = PROJECT_DIR / "dbt_models"
EXPECTATIONS_DIR = PROJECT_DIR / "expectations"
CATALOGUE_FILE = PROJECT_DIR / "config" / "ttv.yml"
SOURCES_FILE = PROJECT_DIR / "config" / "sources.yml"
SCHEMA_FILE = PROJECT_DIR / "config" / "schema.yml"
DATA_DIR = PROJECT_DIR / "data"
# The dbt installed beside this Python, so a run works without an activated virtualenv.
DBT_EXECUTABLE = Path(sys.executable).parent / "dbt"


def landing_dir() -> Path:
    """Where the exports land (SPEC §3): `TTV_LANDING_DIR`, default `data/landing`."""
    return Path(os.environ.get("TTV_LANDING_DIR") or DATA_DIR / "landing").resolve()


def warehouse_path() -> Path:
    """The published warehouse analysts query (SPEC §4): `TTV_WAREHOUSE`."""
    return Path(os.environ.get("TTV_WAREHOUSE") or DATA_DIR / "warehouse.duckdb").resolve()


def build_dir(warehouse: Path | None = None) -> Path:
    """Where a run writes and audits before it publishes: `<warehouse>.build/`, beside the
    published file so that publishing is a rename within one file system."""
    warehouse = Path(warehouse).resolve() if warehouse else warehouse_path()
    return warehouse.with_name(warehouse.name + ".build")


def working_warehouse_path(warehouse: Path | None = None) -> Path:
    """The run's working DuckDB file: the loaded raw tables (kept from run to run, loads are
    incremental), dbt's staging, intermediate and marts. Analysts never read it.

    It has the published file's name, in the build folder, so DuckDB names its catalog like the
    published one and the dbt docs show `warehouse.marts.account_ttv`, what analysts open."""
    warehouse = Path(warehouse).resolve() if warehouse else warehouse_path()
    return build_dir(warehouse) / warehouse.name


# The dbt profile's variable for the working file (dbt_models/profiles.yml): dbt builds that file,
# while TTV_WAREHOUSE always means the published one.
WORKING_WAREHOUSE_ENV = "TTV_WORKING_WAREHOUSE"


def dbt_variables() -> dict[str, str]:
    """What a dbt process that builds or describes the working file needs in its environment
    besides this one's: TTV_WORKING_WAREHOUSE, which the dbt profile requires."""
    return {WORKING_WAREHOUSE_ENV: str(working_warehouse_path())}


def catalogue_file() -> Path:
    """The milestone catalogue (SPEC §6): `TTV_CATALOGUE`, default `config/ttv.yml`."""
    return Path(os.environ.get("TTV_CATALOGUE") or CATALOGUE_FILE).resolve()


def sources_file() -> Path:
    """The source registry (SPEC §7): `TTV_SOURCES`, default `config/sources.yml`."""
    return Path(os.environ.get("TTV_SOURCES") or SOURCES_FILE).resolve()


def schema_file() -> Path:
    """The canonical tables' declaration (SPEC §3): `TTV_SCHEMA`, default `config/schema.yml`."""
    return Path(os.environ.get("TTV_SCHEMA") or SCHEMA_FILE).resolve()


def duckdb_memory_limit() -> str:
    """DuckDB's working memory for every connection that builds or checks the warehouse:
    `TTV_DUCKDB_MEMORY_LIMIT`, default 2GB; past it DuckDB spills to disk."""
    return os.environ.get("TTV_DUCKDB_MEMORY_LIMIT") or "2GB"


def as_of_date(value: str | None = None) -> dt.date:
    """The run's as-of date: the given value, else `TTV_AS_OF`, else today (UTC).

    Facts dated after 00:00 UTC of this date are ignored by the models (SPEC §4).
    """
    text = value or os.environ.get("TTV_AS_OF")
    if not text:
        return dt.datetime.now(dt.UTC).date()
    try:
        return dt.date.fromisoformat(text.strip())
    except ValueError:
        raise ValueError(f"TTV_AS_OF must be a date like 2026-06-01, got {text!r}") from None


def dagster_home(warehouse: Path | None = None) -> Path:
    """The Dagster instance (run history, schedule and sensor state) of a warehouse:
    `DAGSTER_HOME` when set, else `<warehouse>.dagster/` beside the warehouse it builds, so runs
    on a test warehouse never mix with the history of the real one."""
    if os.environ.get("DAGSTER_HOME") and warehouse is None:
        return Path(os.environ["DAGSTER_HOME"]).resolve()
    warehouse = Path(warehouse).resolve() if warehouse else warehouse_path()
    return warehouse.with_name(warehouse.name + ".dagster")


def max_shrink() -> float:
    """The share of its rows a loaded CRM table or a mart may lose against the published
    warehouse before the volume check blocks publication: `TTV_MAX_SHRINK`, default 0.5."""
    text = os.environ.get("TTV_MAX_SHRINK") or "0.5"
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not 0 <= value <= 1:
        raise ValueError(f"TTV_MAX_SHRINK must be a share between 0 and 1, got {text!r}")
    return value


def accepted_volume_changes() -> set[str]:
    """Tables whose shrinking this run accepts on purpose: `TTV_ACCEPT_VOLUME_CHANGE`, names
    separated by commas (`contracts`, `raw.contracts`, `marts.ttv_retention`) or `all`."""
    text = os.environ.get("TTV_ACCEPT_VOLUME_CHANGE") or ""
    return {name.strip() for name in text.split(",") if name.strip()}


def freshness_days() -> int:
    """How many days before as-of a source's newest fact may be before the freshness check
    warns: `TTV_FRESHNESS_DAYS`, default 3."""
    text = os.environ.get("TTV_FRESHNESS_DAYS") or "3"
    if not text.strip().isdigit():
        raise ValueError(f"TTV_FRESHNESS_DAYS must be a whole number of days, got {text!r}")
    return int(text)


def force_run() -> bool:
    """`TTV_FORCE=1`: run the whole job even when nothing changed since the last publication
    (lib/fingerprint.py), e.g. to re-check the published warehouse."""
    return (os.environ.get("TTV_FORCE") or "").strip().lower() in ("1", "true", "yes")


def run_lock_path(warehouse: Path | None = None) -> Path:
    """The lock that lets one run at a time build a warehouse: `<build dir>/run.lock`."""
    return build_dir(warehouse) / "run.lock"


def run_log_dir(warehouse: Path | None = None) -> Path:
    """Where `make run` keeps each run's full log (Dagster, dbt, stack traces)."""
    return build_dir(warehouse) / "logs"
