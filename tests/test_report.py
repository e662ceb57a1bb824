"""The TTV report (issue 13): written by the daily job beside the published warehouse, opened in
headless Chromium (Debian's package, driven by Playwright), its numbers checked against SQL.

The fixture warehouse is the hand-made landing zone built once per session by the real daily job
(`built_small_warehouse`, tests/conftest.py), which now ends with the report asset. A second
warehouse is made here by hand in the shape of SPEC §4.1 and §9 (segment columns, value-basis
cohorts, stalled accounts, expansion) to show that those marts are read when they exist and that
a missing mart leaves its section out.
"""

from __future__ import annotations

import datetime as dt
import re
import shutil
from pathlib import Path

import duckdb
import pytest

from dagster_project.lib import report
from tests.conftest import query

SALES_LED = ("Enterprise", "Mid-Market", "SMB")


def _browser():
    """Playwright's Chromium pointed at Debian's chromium (`make chromium`); never a download."""
    from playwright.sync_api import sync_playwright

    executable = shutil.which("chromium")
    if executable is None:
        pytest.fail("Debian's chromium is not installed: run `make chromium` (make test does)")
    return sync_playwright(), executable


# Playwright's waits (launch, load, the charts drawn) are for events; its timeout only keeps a
# hung browser from hanging the suite, so it is far beyond a busy machine's slowest page.
GUARD_MS = 600_000


def open_in_chromium(page_file: Path, screenshot: Path) -> dict:
    """Open a report from disk with the network cut off; return what the page did and shows."""
    manager, executable = _browser()
    url = page_file.resolve().as_uri()
    seen = {"console_errors": [], "requests": []}
    with manager as p:
        browser = p.chromium.launch(executable_path=executable, headless=True, timeout=GUARD_MS)
        try:
            context = browser.new_context(viewport={"width": 1280, "height": 900})
            # anything but the file itself is refused: the report must not need it
            context.route(re.compile(r"^(?!file:).*"), lambda route: route.abort())
            context.set_default_timeout(GUARD_MS)
            page = context.new_page()
            page.on(
                "console",
                lambda m: seen["console_errors"].append(m.text) if m.type == "error" else None,
            )
            page.on("pageerror", lambda e: seen["console_errors"].append(str(e)))
            page.on("request", lambda r: seen["requests"].append(r.url))
            page.goto(url, wait_until="load")
            page.wait_for_function(
                "Array.from(document.querySelectorAll('[data-chart]'))"
                ".every(el => el.querySelector('svg.main-svg'))"
            )
            seen["charts"] = page.evaluate("""() =>
                Array.from(document.querySelectorAll('[data-chart]')).map(el => ({
                  key: el.dataset.chart,
                  plotly: el.querySelectorAll('.js-plotly-plot').length,
                  marks: Array.from(el.querySelectorAll('svg.main-svg .trace path'))
                    .filter(p => (p.getAttribute('d') || '').length > 4
                                 && p.getAttribute('d') !== 'M0,0Z').length,
                }))""")
            seen["metrics"] = page.evaluate("""() => Object.fromEntries(
                Array.from(document.querySelectorAll('[data-metric]'))
                  .map(el => [el.dataset.metric, el.textContent.trim()]))""")
            seen["readings"] = page.evaluate("""() => Object.fromEntries(
                Array.from(document.querySelectorAll('[data-reading]'))
                  .map(el => [el.dataset.reading, el.textContent.trim()]))""")
            page.screenshot(path=str(screenshot), full_page=True)
        finally:
            browser.close()
    seen["url"] = url
    return seen


def assert_opens_offline_with_every_chart_drawn(seen: dict) -> None:
    assert seen["console_errors"] == []
    assert set(seen["requests"]) == {seen["url"]}, "the report asked for something else"
    assert seen["charts"], "no chart on the page"
    for chart in seen["charts"]:
        assert chart["plotly"] == 1 and chart["marks"] > 0, f"chart not drawn: {chart}"


def days(value) -> str:
    return report.fmt_days(value)


# ------------------------------------------------------------------------------------------
# The hand-made fixture, built by the daily job
# ------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def fixture_report(built_small_warehouse) -> Path:
    return report.report_path(built_small_warehouse)


def test_daily_job_writes_the_report_beside_the_published_warehouse(
    built_small_warehouse, fixture_report
):
    assert fixture_report == built_small_warehouse.with_name("warehouse.duckdb.report.html")
    assert fixture_report.exists()
    text = fixture_report.read_text(encoding="utf-8")
    # self-contained: plotly.js inlined, no script or stylesheet fetched from anywhere
    assert "Plotly" in text and not re.search(r"<(script|link)[^>]+(src|href)=", text)
    assert "2026-06-01" in text


def test_report_in_headless_chromium(built_small_warehouse, fixture_report, tmp_path):
    seen = open_in_chromium(fixture_report, tmp_path / "report.png")
    assert_opens_offline_with_every_chart_drawn(seen)
    assert (tmp_path / "report.png").stat().st_size > 50_000
    assert {
        "headline",
        "distribution",
        "segments",
        "trend",
        "cohorts",
        "retention",
        "stalled",
        "journey",
    } <= set(seen["readings"])
    metrics = seen["metrics"]
    as_of = query(built_small_warehouse, "select max(as_of_date) from marts.account_ttv")[0][0]
    assert metrics["as_of"] == as_of.isoformat()

    # median TTV of the accounts that reached value in the trailing 12 months, per segment and
    # for the sales-led group, straight from account_ttv
    since = dt.date(as_of.year - 1, as_of.month, as_of.day)
    trailing = dict(
        query(
            built_small_warehouse,
            """
        select segment, quantile_cont(ttv_days, 0.5) from marts.account_ttv
        where ttv_days is not null and value_at >= ? and value_at < ? group by segment
        union all
        select 'sales_led', quantile_cont(ttv_days, 0.5) from marts.account_ttv
        where ttv_days is not null and value_at >= ? and value_at < ?
          and segment in ('Enterprise', 'Mid-Market', 'SMB')""",
            [since, as_of] * 2,
        )
    )
    assert set(trailing) >= {"Enterprise", "SMB", "PLG", "sales_led"}
    for unit, median in trailing.items():
        assert metrics[f"median_ttv_days.trailing_12_months.{unit}"] == days(median), unit

    # all-time median per segment, and the band counts of the distribution
    for segment, median in query(
        built_small_warehouse,
        """
            select segment, quantile_cont(ttv_days, 0.5) from marts.account_ttv
            group by segment having count(ttv_days) > 0""",
    ):
        assert metrics[f"median_ttv_days.all_time.{segment}"] == days(median), segment
    for segment, band, n in query(
        built_small_warehouse,
        """
            select segment, ttv_band, count(*) from marts.account_ttv
            where ttv_days is not null and value_at >= ? and value_at < ? group by all""",
        [since, as_of],
    ):
        assert metrics[f"band_accounts.{band}.{segment}"] == str(n), (segment, band)


def test_the_daily_job_ends_with_the_report_after_publication():
    import dagster as dg

    from dagster_project.definitions import defs

    graph = defs.resolve_job_def("ttv_daily").asset_layer.asset_graph
    assert graph.get(dg.AssetKey("ttv_report")).parent_keys == {dg.AssetKey("published_warehouse")}


def test_no_comparison_pools_plg_with_sales_led(built_small_warehouse):
    wh = report.Warehouse(built_small_warehouse)
    try:
        ctx = report.load_context(wh)
    finally:
        wh.close()
    # the sales-led group shares one clock; PLG (sign-up to first value) stays on its own
    assert ctx.groups == {"sales_led": list(SALES_LED)}
    assert ctx.units == ["Enterprise", "Mid-Market", "SMB", "sales_led", "PLG"]
    assert ctx.label("PLG") == "PLG (to first_value)"


def test_make_report_rewrites_it_and_the_metadata_has_the_headline(
    built_small_warehouse, tmp_path, capsys
):
    out = tmp_path / "again.html"
    assert report.main(["--warehouse", str(built_small_warehouse), "--out", str(out)]) == 0
    assert str(out) in capsys.readouterr().out
    written = report.write_report(built_small_warehouse, out)
    markdown = written.markdown()
    assert out.as_uri() in markdown and "| sales_led |" in markdown
    smb = next(r for r in written.headline if r["segment"] == "SMB")
    assert f"| SMB | {days(smb['median_ttv_days_month'])} |" in markdown


# ------------------------------------------------------------------------------------------
# SPEC §4.1 and §9 marts, when built; a missing mart's section left out
# ------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def second_edition_warehouse(built_small_warehouse, tmp_path_factory) -> Path:
    """account_ttv of the fixture, plus hand-made §4.1/§9 marts with numbers of their own (so
    the page shows they were read), and no journey_step_summary."""
    path = tmp_path_factory.mktemp("second_edition") / "warehouse.duckdb"
    with duckdb.connect(str(path)) as con:
        con.execute("attach ? as src (read_only)", [str(built_small_warehouse)])
        con.execute("create schema marts")
        con.execute("create table marts.account_ttv as select * from src.marts.account_ttv")
        con.execute("""
            create table marts.cohort_ttv (
                period_basis varchar, period_grain varchar, cohort_period date,
                cohort_label varchar, segment varchar, dimension varchar,
                dimension_value varchar, accounts integer, reached_value integer,
                median_ttv_days double, km_median_ttv_days double, share_within_target double,
                as_of_date date)""")
        con.execute("""insert into marts.cohort_ttv values
            ('value', 'trailing_12_months', '2025-06-01', 'trailing 12 months', 'Enterprise',
             'all', 'all', 7, 7, 41.5, 41.5, null, '2026-06-01'),
            ('value', 'trailing_12_months', '2025-06-01', 'trailing 12 months', 'sales_led',
             'all', 'all', 20, 20, 33.3, 33.3, null, '2026-06-01'),
            ('value', 'month', '2026-05-01', '2026-05', 'SMB', 'all', 'all', 6, 6, 12.3, 12.3,
             null, '2026-06-01'),
            ('start', 'trailing_12_months', '2025-06-01', 'trailing 12 months', 'Enterprise',
             'all', 'all', 9, 7, 50.0, 55.0, 0.6, '2026-06-01'),
            ('start', 'month', '2026-01-01', '2026-01', 'Enterprise', 'all', 'all', 5, 5, 60.0,
             60.0, null, '2026-06-01'),
            ('start', 'month', '2026-02-01', '2026-02', 'Enterprise', 'all', 'all', 5, 5, 50.0,
             50.0, null, '2026-06-01'),
            ('start', 'quarter', '2025-10-01', '2025-Q4', 'Enterprise', 'all', 'all', 6, 6, 70.0,
             70.0, null, '2026-06-01'),
            ('start', 'quarter', '2026-01-01', '2026-Q1', 'Enterprise', 'all', 'all', 6, 6, 55.0,
             55.0, null, '2026-06-01'),
            ('start', 'all_time', null, 'all time', 'SMB', 'touch_model', 'high', 6, 6, 20.0,
             20.0, null, '2026-06-01'),
            ('start', 'all_time', null, 'all time', 'SMB', 'touch_model', 'low', 8, 8, 26.0,
             26.0, null, '2026-06-01')""")
        con.execute("""
            create table marts.ttv_retention as select * from (values
                ('sales_led', '<30', 10, 8, 2, 0, 0, 0.8, 1000.0, 10, 1.2, 0.3, date '2026-06-01'),
                ('sales_led', '>90', 10, 5, 5, 0, 0, 0.5, 1000.0, 10, 0.9, 0.1, date '2026-06-01'))
            as t(segment, ttv_band, accounts, renewed, churned, pending, unknown, renewal_rate,
                 avg_first_term_arr, accounts_12m, nrr_12m, expansion_rate_12m, as_of_date)""")
        con.execute("""
            create table marts.stalled_accounts as
            select account_id, segment, csm_owner, start_at, days_onboarding, target_days,
                   days_onboarding - target_days as days_over_target,
                   'access_provisioned' as last_milestone, start_at as last_progress_at,
                   44.0 as days_since_progress, 'configuration_complete' as next_milestone,
                   'implementation' as next_owner, true as is_stalled, first_term_arr,
                   as_of_date
            from marts.account_ttv where account_id = 'A04'""")
    return path


def test_second_edition_marts_are_read_and_a_missing_mart_is_left_out(
    second_edition_warehouse, tmp_path
):
    written = report.write_report(second_edition_warehouse)
    assert [o.title for o in written.omitted] == ["Where the journey loses time"]
    enterprise = next(r for r in written.headline if r["segment"] == "Enterprise")
    assert enterprise["median_ttv_days_trailing_12_months"] == 41.5
    assert enterprise["share_within_target"] == 0.6

    seen = open_in_chromium(written.path, tmp_path / "second_edition.png")
    assert_opens_offline_with_every_chart_drawn(seen)
    metrics, readings = seen["metrics"], seen["readings"]
    assert metrics["median_ttv_days.trailing_12_months.Enterprise"] == "41.5"
    assert metrics["median_ttv_days.trailing_12_months.sales_led"] == "33.3"
    assert metrics["median_ttv_days.month.SMB"] == "12.3"
    assert metrics["share_within_target.Enterprise"] == "60%"
    assert "journey" not in readings
    assert (
        "within SMB, high touch 20.0 d (n=6) against low touch 26.0 d (n=8)" in readings["cohorts"]
    )
    assert readings["retention"].startswith(
        "sales_led: accounts that reached value in <30 days "
        "renewed at 80% (n=10), >90 days at 50% (n=10)."
    )
    assert "1 open account is stalled" in readings["stalled"] and "Globex" in readings["stalled"]
    assert "expansion" in {c["key"] for c in seen["charts"]}


def test_a_warehouse_without_accounts_gets_a_report_without_charts(built_small_warehouse, tmp_path):
    empty = tmp_path / "empty.duckdb"
    with duckdb.connect(str(empty)) as con:
        con.execute("attach ? as src (read_only)", [str(built_small_warehouse)])
        con.execute("create schema marts")
        for (table,) in con.execute(
            "select table_name from information_schema.tables "
            "where table_catalog = 'src' and table_schema = 'marts'"
        ).fetchall():
            con.execute(
                f"create table marts.{table} as select * from src.marts.{table} where false"
            )
    written = report.write_report(empty)
    page = written.path.read_text(encoding="utf-8")
    assert "data-chart=" not in page
    assert "No account reached value in the trailing 12 months." in page
    assert "Where the journey loses time" in [o.title for o in written.omitted]
