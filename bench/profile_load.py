"""Where the events load spends its time: `python bench/profile_load.py LANDING_DIR`.

Loads the landing zone's tables into a fresh working file with the loader the job uses
(`landing.load_table`), timing each SQL statement the loader sends to DuckDB, and prints the
seconds per loader function (the step of the load that sent it), largest first. `make bench`
does not run it; the README's Performance section quotes it on the bench's landing zone.
"""

from __future__ import annotations

import argparse
import inspect
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

import duckdb

PROJECT_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT_DIR))

from dagster_project import paths  # noqa: E402
from dagster_project.lib import landing, schema, sources  # noqa: E402


class TimedConnection:
    """A DuckDB connection whose `execute` adds its seconds to the calling loader function."""

    def __init__(self, con: duckdb.DuckDBPyConnection, seconds: dict[str, float]):
        self._con, self._seconds = con, seconds

    def execute(self, *args, **kwargs):
        caller = inspect.stack()[1].function
        began = time.perf_counter()
        try:
            return self._con.execute(*args, **kwargs)
        finally:
            self._seconds[caller] += time.perf_counter() - began

    def __getattr__(self, name):
        return getattr(self._con, name)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("landing", type=Path)
    args = parser.parse_args(argv)
    registry = sources.load_registry(paths.sources_file())
    with tempfile.TemporaryDirectory(prefix="ttv-profile-") as folder:
        con = duckdb.connect(
            str(Path(folder) / "warehouse.duckdb"),
            config={"memory_limit": paths.duckdb_memory_limit()},
        )
        con.execute("set TimeZone = 'UTC'")
        for table in schema.tables():
            seconds: dict[str, float] = defaultdict(float)
            began = time.perf_counter()
            landing.load_table(TimedConnection(con, seconds), args.landing, table, registry)
            total = time.perf_counter() - began
            print(f"{table.name}: {total:.1f} s")
            for function, spent in sorted(seconds.items(), key=lambda item: -item[1])[:8]:
                print(f"  {function:<28} {spent:7.1f} s")
            print(f"  {'(outside SQL)':<28} {total - sum(seconds.values()):7.1f} s")
        con.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
