"""`make bench`: how fast the daily job is at a given size, side by side with the least work any
pipeline must do, and whether a daily run costs the new day or the whole history.

For each size (the requested one, and one tenth of it for `daily_growth`) it generates a landing
zone with the project's generator (events as Parquet and CSV), then measures:
  limit     one hand-written DuckDB query from the raw event files to per-account milestone
            firsts (signed up, first login, first meaningful action, first value) and regular
            usage;
  full      the daily job (`python -m dagster_project.run`) on the whole landing zone;
  daily     one more day of events added as a new file, the job again;
  nochange  the job again with nothing new.
Prints a table and writes bench/results.json. Timings are printed, never asserted.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import duckdb

PROJECT_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT_DIR))

from dagster_project import paths  # noqa: E402
from sample_data.generate import generate_landing  # noqa: E402

END_DATE = dt.date(2026, 11, 1)

# The least work: read every event file once, keep the first time of each milestone event per
# account, and the first day with events on 3 distinct days within 7 (regular usage).
LIMIT_SQL = """
create or replace table limit_result as
with events as (
    select account_id, event_name, try_cast(occurred_at as timestamptz) as occurred_at
    from read_parquet({parquet})
    union all
    -- nullif keeps DuckDB from pushing the cast into the CSV scan, where a bad value is an error
    select account_id, event_name, try_cast(nullif(occurred_at, '') as timestamptz)
    from read_csv({csv}, all_varchar = true, header = true)
),
firsts as (
    select account_id,
           min(occurred_at) filter (where event_name = 'signed_up') as signed_up_at,
           min(occurred_at) filter (where event_name = 'login') as first_login_at,
           min(occurred_at) filter (where event_name = 'project_created') as first_project_at,
           min(occurred_at) filter (where event_name = 'teammate_invited') as first_invite_at
    from events group by account_id
),
days as (
    select account_id, cast(occurred_at as date) as day, min(occurred_at) as first_at
    from events group by all
),
regular as (
    select account_id, min(first_at) as regular_usage_at from (
        select *, count(*) over (partition by account_id order by day
                                 range between interval 6 days preceding and current row) as n
        from days) where n >= 3
    group by account_id
)
select firsts.*, greatest(first_project_at, first_invite_at) as first_value_at, regular_usage_at
from firsts left join regular using (account_id)
"""


def _quoted_list(files: list[Path]) -> str:
    return "[" + ", ".join("'" + str(p).replace("'", "''") + "'" for p in files) + "]"


def measure_limit(landing: Path, memory_limit: str) -> float:
    events = landing / "product" / "events"
    parquet, csv = sorted(events.glob("*.parquet")), sorted(events.glob("*.csv"))
    with duckdb.connect() as con:
        con.execute(f"set memory_limit = '{memory_limit}'")
        con.execute("set TimeZone = 'UTC'")
        began = time.perf_counter()
        con.execute(LIMIT_SQL.format(parquet=_quoted_list(parquet), csv=_quoted_list(csv)))
        return time.perf_counter() - began


def run_job(landing: Path, warehouse: Path) -> dict:
    """The daily job in a child process: wall seconds, peak RSS of it and its children (dbt),
    and seconds per stage from the `timing` lines `dagster_project.run` prints."""
    env = {
        **os.environ,
        "TTV_LANDING_DIR": str(landing),
        "TTV_WAREHOUSE": str(warehouse),
        "TTV_AS_OF": END_DATE.isoformat(),
    }
    env.pop("DAGSTER_HOME", None)
    # a wrapper process, so RUSAGE_CHILDREN holds this run alone
    wrapper = (
        "import resource, subprocess, sys; "
        "r = subprocess.run([sys.executable, '-m', 'dagster_project.run'], "
        "capture_output=True, text=True); "
        "sys.stdout.write(r.stdout); sys.stderr.write(r.stderr); "
        "print('peak_rss_kb', resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss); "
        "sys.exit(r.returncode)"
    )
    began = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-c", wrapper], cwd=PROJECT_DIR, env=env, capture_output=True, text=True
    )
    seconds = time.perf_counter() - began
    if done.returncode != 0:
        raise SystemExit(f"the daily job failed:\n{done.stdout[-4000:]}\n{done.stderr[-4000:]}")
    stages: dict[str, float] = {}
    for stage, value in re.findall(r"^timing (\w+) ([0-9.]+)s$", done.stdout, re.M):
        stages[stage] = stages.get(stage, 0.0) + float(value)
    peak = int(re.search(r"^peak_rss_kb (\d+)$", done.stdout, re.M).group(1))
    return {"seconds": seconds, "peak_rss_mb": peak / 1024, "stages": stages}


def add_one_day(landing: Path) -> int:
    """One more day of events as a new file: the last day's events, a day later, new ids."""
    events = landing / "product" / "events"
    new_file = events / f"day_{END_DATE.isoformat()}.parquet"
    with duckdb.connect() as con:
        con.execute("set TimeZone = 'UTC'")
        last_day = (END_DATE - dt.timedelta(days=1)).isoformat()
        query = f"""
            select 'day-' || event_id as event_id, account_id, user_id, event_name,
                   strftime(try_cast(occurred_at as timestamptz) + interval 1 day,
                            '%Y-%m-%dT%H:%M:%SZ') as occurred_at, properties
            from read_parquet({_quoted_list(sorted(events.glob("*.parquet")))}, union_by_name = true)
            where try_cast(occurred_at as timestamptz) >= timestamptz '{last_day} 00:00:00+00'
        """
        # the newest month may be a CSV file: take the last day from whichever format has it
        csv_files = sorted(events.glob("*.csv"))
        if csv_files:
            query += f"""union all
            select 'day-' || event_id, account_id, user_id, event_name,
                   strftime(try_cast(occurred_at as timestamptz) + interval 1 day,
                            '%Y-%m-%dT%H:%M:%SZ'), properties
            from read_csv({_quoted_list(csv_files)}, all_varchar = true, header = true)
            where try_cast(occurred_at as timestamptz) >= timestamptz '{last_day} 00:00:00+00'"""
        con.execute(f"copy ({query}) to '{new_file}' (format parquet)")
        return con.execute(f"select count(*) from read_parquet('{new_file}')").fetchone()[0]


def bench_size(workdir: Path, accounts: int, events: int, memory_limit: str) -> dict:
    if workdir.exists():
        shutil.rmtree(workdir)
    landing = workdir / "landing"
    began = time.perf_counter()
    counts = generate_landing(
        landing,
        accounts=accounts,
        end_date=END_DATE,
        events_per_account=max(1, events // accounts),
        formats=("parquet", "csv"),
    )
    generate_s = time.perf_counter() - began
    limit_s = measure_limit(landing, memory_limit)
    warehouse = workdir / "warehouse.duckdb"
    full = run_job(landing, warehouse)
    day_events = add_one_day(landing)
    daily = run_job(landing, warehouse)
    nochange = run_job(landing, warehouse)
    return {
        "events": counts["events"],
        "accounts": accounts,
        "day_events": day_events,
        "generate_s": round(generate_s, 2),
        "limit_s": round(limit_s, 2),
        "full_s": round(full["seconds"], 2),
        "daily_s": round(daily["seconds"], 2),
        "nochange_s": round(nochange["seconds"], 2),
        "peak_rss_mb": round(max(r["peak_rss_mb"] for r in (full, daily, nochange)), 1),
        "full_stages_s": {k: round(v, 2) for k, v in full["stages"].items()},
        "daily_stages_s": {k: round(v, 2) for k, v in daily["stages"].items()},
        "nochange_stages_s": {k: round(v, 2) for k, v in nochange["stages"].items()},
        "full_over_limit": round(full["seconds"] / limit_s, 2) if limit_s else None,
        "daily_over_full": round(daily["seconds"] / full["seconds"], 3),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--accounts", type=int, default=2000)
    parser.add_argument("--events", type=int, default=5_000_000)
    # the job's own limit (paths.duckdb_memory_limit), so the bench measures what `make run` does
    parser.add_argument("--memory-limit", default=paths.duckdb_memory_limit())
    parser.add_argument(
        "--single-size",
        action="store_true",
        help="skip the tenth-size run (no daily_growth); for the smoke test",
    )
    parser.add_argument("--out", type=Path, default=PROJECT_DIR / "bench" / "results.json")
    parser.add_argument("--workdir", type=Path, default=PROJECT_DIR / "bench" / "work")
    args = parser.parse_args(argv)
    os.environ["TTV_DUCKDB_MEMORY_LIMIT"] = args.memory_limit

    main_size = bench_size(args.workdir / "main", args.accounts, args.events, args.memory_limit)
    result = dict(main_size)
    if not args.single_size:
        small = bench_size(
            args.workdir / "tenth",
            max(1, args.accounts // 10),
            max(1, args.events // 10),
            args.memory_limit,
        )
        result["tenth_size"] = small
        result["daily_growth"] = round(main_size["daily_s"] / small["daily_s"], 2)
    result["machine"] = {
        "cpus": os.cpu_count(),
        "platform": platform.platform(),
        "python": platform.python_version(),
        "duckdb": duckdb.__version__,
        "memory_limit": args.memory_limit,
        "date": dt.date.today().isoformat(),
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n")

    rows = [
        (
            "size",
            "events",
            "limit_s",
            "full_s",
            "daily_s",
            "nochange_s",
            "peak_rss_mb",
            "full/limit",
            "daily/full",
        )
    ]
    for name, r in [("main", main_size)] + (
        [("tenth", result["tenth_size"])] if "tenth_size" in result else []
    ):
        rows.append(
            (
                name,
                f"{r['events']:,}",
                r["limit_s"],
                r["full_s"],
                r["daily_s"],
                r["nochange_s"],
                r["peak_rss_mb"],
                r["full_over_limit"],
                r["daily_over_full"],
            )
        )
    widths = [max(len(str(row[i])) for row in rows) for i in range(len(rows[0]))]
    for row in rows:
        print("  ".join(str(v).rjust(w) for v, w in zip(row, widths, strict=False)))
    print("full run stages (s):", main_size["full_stages_s"])
    print("daily run stages (s):", main_size["daily_stages_s"])
    if "daily_growth" in result:
        print(
            f"daily_growth (daily_s at {main_size['events']:,} / at "
            f"{result['tenth_size']['events']:,} events): {result['daily_growth']}"
        )
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
