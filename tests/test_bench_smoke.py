"""The benchmark script runs end to end at a tiny size, so it cannot rot. No timing is asserted."""

import json
import subprocess
import sys
from pathlib import Path

PROJECT_DIR = Path(__file__).resolve().parent.parent


def test_bench_script_runs_at_a_tiny_size_and_reports_every_figure(tmp_path):
    out = tmp_path / "results.json"
    done = subprocess.run(
        [
            sys.executable,
            "bench/run_bench.py",
            "--accounts",
            "30",
            "--events",
            "3000",
            "--single-size",
            "--out",
            str(out),
            "--workdir",
            str(tmp_path / "work"),
        ],
        cwd=PROJECT_DIR,
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    result = json.loads(out.read_text())
    for key in (
        "events",
        "accounts",
        "limit_s",
        "full_s",
        "daily_s",
        "nochange_s",
        "peak_rss_mb",
        "full_over_limit",
        "daily_over_full",
        "full_stages_s",
    ):
        assert key in result, key
    assert result["accounts"] == 30
    # about 100 events for each of the 30 accounts (the generator's activity model varies it)
    assert 2000 < result["events"] < 4000
    assert result["day_events"] > 0
    assert set(result["full_stages_s"]) >= {"load", "dbt", "checks"}


def test_many_files_bench_runs_at_a_tiny_size_and_records_beside_the_other_figures(tmp_path):
    out = tmp_path / "results.json"
    out.write_text(json.dumps({"full_s": 1.5}))
    done = subprocess.run(
        [
            sys.executable,
            "bench/many_files.py",
            "--accounts",
            "20",
            "--events",
            "2000",
            "--files",
            "30",
            "--repeat",
            "1",
            "--out",
            str(out),
        ],
        cwd=PROJECT_DIR,
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    result = json.loads(out.read_text())
    assert result["full_s"] == 1.5  # the daily-job figures stay
    many = result["many_files"]
    # 30 files: 11 PostHog JSON, 11 CSV, 5 Amplitude members in 3 zips, 2 Parquet, +1 JSON
    # to make up the rounding; the same 2,000 events in 3 large files (else the script fails)
    assert (many["many_files"], many["few_files"], many["one_by_one_files"]) == (30, 3, 30)
    assert many["events"] == 2000
    assert many["many_over_few"] == round(many["many_load_s"] / many["few_load_s"], 2)
    assert "2000 events" in done.stdout
