"""How long the TTV report takes at a size: `python bench/report_bench.py --accounts 20000`.

Builds a real published warehouse of that many accounts once (the project's sample generator,
then the daily job, in bench/work/report-<N>/), then times `write_report` on it a few times in
fresh processes, so each time includes Python's imports as the daily job's step pays them.
Prints the seconds and writes them to bench/report_results.json; nothing is asserted (the
target, issue 13: under 10 s at 20,000 accounts).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

PROJECT_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT_DIR))

from sample_data.generate import generate_landing  # noqa: E402

END_DATE = dt.date(2026, 11, 1)
TIMED = """
import sys, time
began = time.perf_counter()
from dagster_project.lib.report import write_report
report = write_report(sys.argv[1], sys.argv[2])
print(time.perf_counter() - began, report.size_bytes, len(report.sections))
"""


def build(workdir: Path, accounts: int, events_per_account: int) -> Path:
    warehouse = workdir / "warehouse.duckdb"
    if warehouse.exists():
        return warehouse
    landing = workdir / "landing"
    began = time.perf_counter()
    generate_landing(
        landing,
        accounts=accounts,
        end_date=END_DATE,
        events_per_account=events_per_account,
        formats=("parquet",),
    )
    print(f"generated {accounts} accounts in {time.perf_counter() - began:.0f} s", flush=True)
    env = {
        **os.environ,
        "TTV_LANDING_DIR": str(landing),
        "TTV_WAREHOUSE": str(warehouse),
        "TTV_AS_OF": END_DATE.isoformat(),
    }
    env.pop("DAGSTER_HOME", None)
    began = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "dagster_project.run"],
        cwd=PROJECT_DIR,
        env=env,
        check=True,
        stdout=subprocess.DEVNULL,
    )
    print(f"built {warehouse} in {time.perf_counter() - began:.0f} s", flush=True)
    return warehouse


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--accounts", type=int, default=20_000)
    parser.add_argument(
        "--events-per-account",
        type=int,
        default=20,
        help="the report reads the marts only; events just make them real",
    )
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--workdir", type=Path, default=None)
    parser.add_argument("--out", type=Path, default=PROJECT_DIR / "bench" / "report_results.json")
    args = parser.parse_args(argv)
    workdir = args.workdir or PROJECT_DIR / "bench" / "work" / f"report-{args.accounts}"
    workdir.mkdir(parents=True, exist_ok=True)
    warehouse = build(workdir, args.accounts, args.events_per_account)
    out = workdir / "bench.report.html"
    seconds = []
    for _ in range(args.repeat):
        done = subprocess.run(
            [sys.executable, "-c", TIMED, str(warehouse), str(out)],
            cwd=PROJECT_DIR,
            check=True,
            capture_output=True,
            text=True,
        )
        took, size, sections = done.stdout.split()
        seconds.append(round(float(took), 2))
        print(
            f"report of {args.accounts} accounts: {took[:5]} s, {int(size) / 1e6:.1f} MB, "
            f"{sections} sections",
            flush=True,
        )
    result = {
        "accounts": args.accounts,
        "seconds": seconds,
        "max_seconds": max(seconds),
        "size_bytes": int(size),
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
        "date": dt.date.today().isoformat(),
    }
    args.out.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
