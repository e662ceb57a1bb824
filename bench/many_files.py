"""Many small files against a few large ones, with the same events (issue 15).

    .venv/bin/python bench/many_files.py [--accounts 300] [--events 60000] [--files 265]
                                         [--repeat 2] [--out bench/results.json]
                                         [--no-one-by-one]

Writes the same events twice, with the same accounts (the canonical crm/accounts.csv):
  many   about FILES small files, the way daily and hourly exports arrive: PostHog batch
         exports as daily gzipped JSON lines (posthog/exports/YYYY/MM/DD/...) and a Parquet
         set, daily CSV files of the canonical layout (product/events/daily/), and Amplitude
         export zips of hourly gzipped members (each member counts as a file: it is one);
  few    the same events in 3 large files: one CSV, one PostHog and one Amplitude file.
Times the loader (`landing.load_landing`: reading, casting, quarantine, deduplication, the
manifest) on each into a fresh warehouse, then again with nothing new, and the many files once
more one by one (the loader's per-file fallback, what it did before issue 15). Each layout is
loaded REPEAT times into a fresh warehouse and the fastest load counts, as the machine is
shared. The loader is what the file count changes: dbt and the checks read the loaded tables,
whatever the files.
Prints the timings and the ratio, and records them under `many_files` in the results file
(other keys kept). Timings are printed, never asserted; the two layouts must load the same
events, or the script fails.
"""

from __future__ import annotations

import argparse
import datetime as dt
import gzip
import json
import os
import random
import shutil
import sys
import tempfile
import time
import zipfile
from pathlib import Path

import duckdb

PROJECT_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT_DIR))

from dagster_project import paths  # noqa: E402
from dagster_project.lib import landing, schema, sources  # noqa: E402

START = dt.datetime(2026, 1, 1)
NAMES = ("login", "project_created", "teammate_invited", "dashboard_shared", "search_performed")
CSV_HEADER = ",".join(schema.table_columns()["events"]) + "\n"
# the share of the files each layout part takes: 100 + 100 + 45 + 20 of 265, as in issue 15
PARTS = {"posthog_json": 100, "csv": 100, "amplitude": 45, "posthog_parquet": 20}
AMPLITUDE_ZIPS = 3


def events(accounts: int, count: int) -> list[tuple]:
    """(event_id, account_id, user_id, event_name, occurred_at) in time order, seeded."""
    rng = random.Random(15)
    out = []
    for n in range(count):
        at = START + dt.timedelta(seconds=rng.randrange(0, 265 * 86400))
        account = f"acc_{rng.randrange(accounts):04d}"
        out.append(
            (f"ev-{n:08d}", account, f"{account}-u{rng.randrange(5)}", rng.choice(NAMES), at)
        )
    return sorted(out, key=lambda e: (e[4], e[0]))


def file_counts(files: int) -> dict[str, int]:
    """How many files each part gets, at least one each, adding up to `files`."""
    total = sum(PARTS.values())
    counts = {part: max(1, files * share // total) for part, share in PARTS.items()}
    counts["posthog_json"] += max(0, files - sum(counts.values()))
    return counts


def split(rows: list, parts: int) -> list[list]:
    size = -(-len(rows) // parts)
    return [rows[i * size : (i + 1) * size] for i in range(parts)]


def posthog_line(e: tuple) -> str:
    return (
        json.dumps(
            {
                "uuid": e[0],
                "event": e[3],
                "distinct_id": e[2],
                "timestamp": e[4].strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
                "properties": {"$groups": {"company": e[1]}, "$lib": "web"},
            }
        )
        + "\n"
    )


def amplitude_line(e: tuple) -> str:
    return (
        json.dumps(
            {
                "uuid": e[0],
                "event_type": e[3],
                "user_id": e[2],
                "groups": {"company": [e[1]]},
                "event_properties": {},
                "event_time": e[4].strftime("%Y-%m-%d %H:%M:%S.%f"),
            }
        )
        + "\n"
    )


def csv_line(e: tuple) -> str:
    return f'{e[0]},{e[1]},{e[2]},{e[3]},{e[4]:%Y-%m-%dT%H:%M:%S.%fZ},"{{""$lib"": ""web""}}"\n'


def gz(text: str) -> bytes:
    return gzip.compress(text.encode(), compresslevel=1, mtime=0)


def write(path: Path, data: bytes | str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data if isinstance(data, bytes) else data.encode())


def write_parquet(path: Path, rows: list[tuple]) -> None:
    """PostHog's Parquet batch export: properties as a JSON string."""
    staged = path.with_suffix(".jsonl")
    write(
        staged,
        "".join(
            json.dumps(
                {
                    "uuid": e[0],
                    "event": e[3],
                    "distinct_id": e[2],
                    "timestamp": e[4].strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
                    "properties": json.dumps({"$groups": {"company": e[1]}, "$lib": "web"}),
                }
            )
            + "\n"
            for e in rows
        ),
    )
    columns = (
        "{"
        + ", ".join(
            f"'{c}': 'VARCHAR'" for c in ("uuid", "event", "distinct_id", "timestamp", "properties")
        )
        + "}"
    )
    with duckdb.connect() as con:
        con.execute(
            f"copy (select * from read_json('{staged}', columns = {columns})) "
            f"to '{path}' (format parquet)"
        )
    staged.unlink()


def write_landing(root: Path, accounts: int, rows: list[tuple], files: int | None) -> int:
    """The landing zone: many small files, or (files None) 3 large ones. Returns the number of
    files the loader scans (a zip's members each count)."""
    header = schema.table_columns()["accounts"]  # the canonical columns (config/schema.yml)
    write(
        root / "crm/accounts.csv",
        ",".join(header)
        + "\n"
        + "".join(
            ",".join(
                {
                    "account_id": f"acc_{a:04d}",
                    "account_name": f"Account {a}",
                    "segment": "SMB",
                    "industry": "x",
                    "plan_tier": "team",
                    "sales_channel": "direct",
                    "csm_owner": "ann",
                    "region": "EU",
                    "created_at": "2025-12-01",
                }.get(c, "")
                for c in header
            )
            + "\n"
            for a in range(accounts)
        ),
    )
    counts = file_counts(files or sum(PARTS.values()))
    # each event goes to one part, the same in both layouts
    part_of = list(PARTS)
    parts = {p: [e for n, e in enumerate(rows) if part_of[n % len(part_of)] == p] for p in PARTS}
    if files is None:
        write(root / "product/events/all.csv", CSV_HEADER + "".join(map(csv_line, parts["csv"])))
        write(
            root / "posthog/exports/all.jsonl.gz",
            gz("".join(map(posthog_line, (parts["posthog_json"] + parts["posthog_parquet"])))),
        )
        write(
            root / "amplitude/187520/all.json.gz",
            gz("".join(map(amplitude_line, parts["amplitude"]))),
        )
        return 3
    for number, chunk in enumerate(split(parts["posthog_json"], counts["posthog_json"])):
        day = chunk[0][4] if chunk else START
        write(
            root / f"posthog/exports/{day:%Y/%m/%d}/{day:%Y-%m-%d}T00-{number:04d}.jsonl.gz",
            gz("".join(map(posthog_line, chunk))),
        )
    for number, chunk in enumerate(split(parts["csv"], counts["csv"])):
        write(
            root / f"product/events/daily/{number:04d}.csv",
            CSV_HEADER + "".join(map(csv_line, chunk)),
        )
    for number, chunk in enumerate(split(parts["posthog_parquet"], counts["posthog_parquet"])):
        path = root / f"posthog/parquet/{number:04d}/export.parquet"
        path.parent.mkdir(parents=True, exist_ok=True)
        write_parquet(path, chunk)
    members = split(split(parts["amplitude"], counts["amplitude"]), AMPLITUDE_ZIPS)
    (root / "amplitude").mkdir(parents=True)
    for number, hours in enumerate(members):
        if not hours:
            continue
        with zipfile.ZipFile(root / f"amplitude/export_{number:02d}.zip", "w") as archive:
            for hour, chunk in enumerate(hours):
                archive.writestr(
                    f"187520/187520_2026-01-{number + 1:02d}_{hour}#0.json.gz",
                    gz("".join(map(amplitude_line, chunk))),
                )
    return sum(counts.values())


def load(landing_dir: Path, warehouse: Path, registry) -> tuple[float, str]:
    """Seconds of one load, and a digest of the events loaded (to compare the layouts)."""
    with duckdb.connect(
        str(warehouse), config={"memory_limit": paths.duckdb_memory_limit()}
    ) as con:
        started = time.perf_counter()
        landing.load_landing(con, landing_dir, registry)
        seconds = time.perf_counter() - started
        digest = con.execute("""select count(*) || ' events ' || md5(string_agg(
            concat_ws('|', event_id, account_id, user_id, event_name, occurred_at), ','
            order by event_id)) from raw.events""").fetchone()[0]
    return seconds, digest


def measure(
    work: Path,
    name: str,
    accounts: int,
    rows: list[tuple],
    files: int | None,
    registry,
    repeat: int,
    one_by_one: bool = False,
) -> dict:
    """The fastest of `repeat` loads into a fresh warehouse (the one least slowed down by other
    jobs on a shared machine), and of the no-change loads after each."""
    root = work / name
    scanned = write_landing(root / "landing", accounts, rows, files)
    batchable = landing._batchable
    if one_by_one:  # the loader's per-file fallback for every file
        landing._batchable = lambda landed: False
    try:
        full, again = [], []
        for attempt in range(repeat):
            warehouse = root / f"w{attempt}.duckdb"
            seconds, digest = load(root / "landing", warehouse, registry)
            full.append(seconds)
            again.append(load(root / "landing", warehouse, registry)[0])
            warehouse.unlink()
        full, again = min(full), min(again)
    finally:
        landing._batchable = batchable
    shutil.rmtree(root, ignore_errors=True)
    return {
        "files": scanned,
        "load_s": round(full, 2),
        "nochange_s": round(again, 2),
        "digest": digest,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--accounts", type=int, default=300)
    parser.add_argument("--events", type=int, default=60_000)
    parser.add_argument("--files", type=int, default=sum(PARTS.values()))
    parser.add_argument("--out", type=Path, default=PROJECT_DIR / "bench" / "results.json")
    parser.add_argument(
        "--repeat", type=int, default=2, help="loads per layout; the fastest counts (default 2)"
    )
    parser.add_argument(
        "--no-one-by-one",
        dest="one_by_one",
        action="store_false",
        help="skip loading the many files one by one (the slowest part)",
    )
    args = parser.parse_args(argv)
    registry = sources.load_registry(paths.SOURCES_FILE)
    rows = events(args.accounts, args.events)
    work = Path(tempfile.mkdtemp(prefix="ttv_many_files_"))
    try:
        runs = {
            "many": measure(work, "many", args.accounts, rows, args.files, registry, args.repeat),
            "few": measure(work, "few", args.accounts, rows, None, registry, args.repeat),
        }
        if args.one_by_one:  # slow, and only the before: once
            runs["one_by_one"] = measure(
                work, "one_by_one", args.accounts, rows, args.files, registry, 1, one_by_one=True
            )
    finally:
        shutil.rmtree(work, ignore_errors=True)
    digests = {run["digest"] for run in runs.values()}
    if len(digests) != 1:
        raise SystemExit(f"the layouts loaded different events: {digests}")
    few = runs["few"]["load_s"]
    result = {
        "accounts": args.accounts,
        "events": args.events,
        "repeat": args.repeat,
        **{
            f"{name}_{key}": run[key]
            for name, run in runs.items()
            for key in ("files", "load_s", "nochange_s")
        },
        "many_over_few": round(runs["many"]["load_s"] / few, 2) if few else None,
        "date": dt.date.today().isoformat(),
        "cpus": os.cpu_count(),
    }
    if "one_by_one" in runs and few:
        result["one_by_one_over_few"] = round(runs["one_by_one"]["load_s"] / few, 2)
    print(
        f"{args.events:,} events, {args.accounts} accounts, loader only "
        f"(landing.load_landing); {digests.pop()}"
    )
    print(f"{'layout':<26} {'files':>6} {'load s':>8} {'no-change s':>12}")
    labels = {
        "many": "many small, one pass",
        "few": "3 large",
        "one_by_one": "many small, one by one",
    }
    for name, run in runs.items():
        print(
            f"{labels[name]:<26} {run['files']:>6} {run['load_s']:>8.2f} {run['nochange_s']:>12.2f}"
        )
    print(
        f"many / few: {result['many_over_few']}x"
        + (
            f" (one by one: {result['one_by_one_over_few']}x)"
            if "one_by_one_over_few" in result
            else ""
        )
    )
    recorded = json.loads(args.out.read_text()) if args.out.exists() else {}
    recorded["many_files"] = result
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(recorded, indent=2) + "\n")
    print(f"wrote many_files in {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
