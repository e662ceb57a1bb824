"""The README's screenshots: the TTV report, the Dagster asset graph, a check's page and the dbt
docs overview, taken with headless Chromium (Debian's `chromium`, driven by Playwright).

Run after `make run` (it reads that run's warehouse, report and Dagster history):
`make screenshots`. Writes docs/report.png, docs/dagster_asset_graph.png, docs/dagster_check.png
and docs/dbt_docs_overview.png.
"""

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from playwright.sync_api import TimeoutError as PlaywrightTimeout
from playwright.sync_api import sync_playwright

from dagster_project import paths
from dagster_project.instance import prepare_home
from dagster_project.lib.report import report_path

DOCS = Path(__file__).resolve().parent
CHECK = "marts/account_ttv", "gx_account_ttv"


def chromium() -> str:
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if not found:
        sys.exit("no chromium on PATH: `make screenshots` installs Debian's chromium package")
    return found


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_webserver(port: int) -> subprocess.Popen:
    env = {**os.environ, "DAGSTER_HOME": str(prepare_home())}
    server = subprocess.Popen(
        [
            str(Path(sys.executable).parent / "dagster-webserver"),
            "-h",
            "127.0.0.1",
            "-p",
            str(port),
        ],
        cwd=paths.PROJECT_DIR,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/server_info", timeout=2)
            return server
        except OSError:
            time.sleep(1)
    server.kill()
    sys.exit("dagster-webserver did not answer within 180 s")


def dbt_static_docs() -> Path:
    """`dbt docs generate --static` on the working file of the last run: one HTML file with the
    manifest and catalog inside, which a browser can open from disk."""
    subprocess.run(
        [
            str(paths.DBT_EXECUTABLE),
            "docs",
            "generate",
            "--static",
            "--quiet",
            "--project-dir",
            str(paths.DBT_PROJECT_DIR),
            "--profiles-dir",
            str(paths.DBT_PROJECT_DIR),
        ],
        cwd=paths.DBT_PROJECT_DIR,
        check=True,
        env={**os.environ, **paths.dbt_variables()},
    )
    return paths.DBT_PROJECT_DIR / "target" / "static_index.html"


def main() -> int:
    if not paths.warehouse_path().exists():
        sys.exit(f"no warehouse at {paths.warehouse_path()}: run `make run` first")
    port = free_port()
    docs_page = dbt_static_docs()
    server = start_webserver(port)
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=chromium(), args=["--no-sandbox"])
            report = browser.new_page(viewport={"width": 1280, "height": 900})
            report.goto(report_path(paths.warehouse_path()).as_uri(), wait_until="load")
            report.wait_for_timeout(3000)  # Plotly draws after load
            report.screenshot(path=DOCS / "report.png", full_page=True)
            page = browser.new_page(viewport={"width": 1600, "height": 1000})
            base = f"http://127.0.0.1:{port}"
            page.goto(
                f"{base}/locations/ttv_warehouse/asset-groups/marts/lineage",
                wait_until="networkidle",
            )
            try:  # the first visit's community dialog comes up a moment after the page
                page.get_by_role("button", name="Skip").click(timeout=15000)
            except PlaywrightTimeout:
                pass
            page.wait_for_timeout(3000)
            page.screenshot(path=DOCS / "dagster_asset_graph.png")
            asset, check = CHECK
            page.goto(
                f"{base}/assets/{asset}?view=checks&checkDetail={check}", wait_until="networkidle"
            )
            page.wait_for_timeout(3000)
            page.screenshot(path=DOCS / "dagster_check.png")
            page.goto(docs_page.as_uri(), wait_until="networkidle")
            page.wait_for_timeout(2000)
            page.screenshot(path=DOCS / "dbt_docs_overview.png")
            browser.close()
    finally:
        server.terminate()
        server.wait(timeout=30)
    for name in ("report", "dagster_asset_graph", "dagster_check", "dbt_docs_overview"):
        print(DOCS / f"{name}.png")
    return 0


if __name__ == "__main__":
    sys.exit(main())
