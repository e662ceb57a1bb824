"""Many small files against a few large ones, with the same rows (issue 15).

    .venv/bin/python bench/many_files.py [--accounts 300] [--events 60000] [--files 265]

Writes one landing zone twice: PostHog batch exports as FILES small gzipped JSON-lines files in
dated folders (posthog/exports/YYYY/MM/DD/...jsonl.gz, the layout real exports arrive in), and
the same events in 3 large files; the accounts as the canonical CSV. The small files are
loaded twice: in one set-based pass (the loader's default) and one by one (its fallback, and
what it did before issue 15). Times the loader
(`landing.load_landing`: reading, casting, quarantine, deduplication, the manifest) on each
into a fresh warehouse, then a second run with nothing new, and prints the timings. Timings are
printed, never asserted; the loader is what the file count changes (dbt and the checks read the
loaded tables, whatever the files were).
"""

from __future__ import annotations

import argparse
import datetime as dt
import gzip
import json
import random
import shutil
import sys
import tempfile
import time
from pathlib import Path

import duckdb

PROJECT_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT_DIR))

from dagster_project import paths
from dagster_project.lib import landing, schema, sources

START = dt.datetime(2026, 1, 1)
NAMES = ("login", "project_created", "teammate_invited", "dashboard_shared", "search_performed")


def events(accounts: int, count: int) -> list[dict]:
    rng = random.Random(15)
    out = []
    for n in range(count):
        at = START + dt.timedelta(seconds=rng.randrange(0, 265 * 86400))
        account = f"acc_{rng.randrange(accounts):04d}"
        out.append({"uuid": f"ev-{n:08d}", "event": rng.choice(NAMES),
                    "distinct_id": f"{account}-u{rng.randrange(5)}",
                    "timestamp": at.strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
                    "properties": {"$groups": {"company": account}, "$lib": "web"}})
    return sorted(out, key=lambda e: e["timestamp"])


def write_landing(root: Path, accounts: int, rows: list[dict], files: int) -> None:
    crm = root / "crm"
    crm.mkdir(parents=True)
    header = schema.table_columns()["accounts"]  # the canonical columns (config/schema.yml)
    (crm / "accounts.csv").write_text(",".join(header) + "\n" + "".join(
        ",".join({"account_id": f"acc_{a:04d}", "account_name": f"Account {a}", "segment": "SMB",
                  "industry": "x", "plan_tier": "team", "sales_channel": "direct",
                  "csm_owner": "ann", "region": "EU", "created_at": "2025-12-01"}.get(c, "")
                 for c in header) + "\n"
        for a in range(accounts)))
    per_file = -(-len(rows) // files)
    for number in range(files):
        chunk = rows[number * per_file:(number + 1) * per_file]
        if not chunk:
            break
        day = START + dt.timedelta(days=number * 265 // files)
        path = (root / "posthog/exports" / f"{day:%Y/%m/%d}"
                / f"{day:%Y-%m-%d}T00-{number:04d}.jsonl.gz")
        path.parent.mkdir(parents=True, exist_ok=True)
        body = "".join(json.dumps(r) + "\n" for r in chunk).encode()
        path.write_bytes(gzip.compress(body, compresslevel=1, mtime=0))


def load_seconds(landing_dir: Path, warehouse: Path, registry) -> tuple[float, int]:
    with duckdb.connect(str(warehouse), config={"memory_limit": paths.duckdb_memory_limit()}) as con:
        started = time.perf_counter()
        results = landing.load_landing(con, landing_dir, registry)
        seconds = time.perf_counter() - started
    return seconds, sum(r.rows_loaded for r in results if r.table == "events")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--accounts", type=int, default=300)
    parser.add_argument("--events", type=int, default=60_000)
    parser.add_argument("--files", type=int, default=265)
    args = parser.parse_args(argv)
    registry = sources.load_registry(paths.SOURCES_FILE)
    rows = events(args.accounts, args.events)
    work = Path(tempfile.mkdtemp(prefix="ttv_many_files_"))
    try:
        report = []
        batchable = landing._batchable
        for label, files, one_pass in ((f"{args.files} small files", args.files, True),
                                       (f"{args.files} one by one", args.files, False),
                                       ("3 large files", 3, True)):
            root = work / f"{files}_{one_pass}"
            write_landing(root / "landing", args.accounts, rows, files)
            # one by one: the loader as it was before the set-based read (its fallback path)
            landing._batchable = batchable if one_pass else (lambda landed: False)
            try:
                full, loaded = load_seconds(root / "landing", root / "w.duckdb", registry)
                again, _ = load_seconds(root / "landing", root / "w.duckdb", registry)
            finally:
                landing._batchable = batchable
            report.append((label, full, again, loaded))
        print(f"{args.events} events, {args.accounts} accounts (loader only, "
              f"landing.load_landing)")
        print(f"{'layout':<18} {'full load s':>12} {'no-change s':>12} {'events loaded':>14}")
        for label, full, again, loaded in report:
            print(f"{label:<18} {full:>12.2f} {again:>12.2f} {loaded:>14}")
        print(f"many / few: {report[0][1] / report[2][1]:.1f}x in one pass, "
              f"{report[1][1] / report[2][1]:.1f}x one by one")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
