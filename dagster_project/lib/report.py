"""The TTV report: one self-contained HTML page written from the published warehouse (issue 13).

Every number on the page is read from a mart of the published file with DuckDB SQL; a section
whose mart or columns the warehouse does not have is left out and listed as such, never faked.
Comparisons stay within a segment or a segment group (SPEC §4.1): PLG's clock (sign-up to first
value) is never pooled with the sales-led one. Charts are Plotly, with plotly.js inlined once,
so the file opens from disk with no network.

The marts are read the way SPEC §4.1 defines them (a `segment` column of segments and groups in
every aggregate mart, `cohort_ttv.period_basis`, ...). Where a warehouse still has the first
edition's tables (§4: `cohort_ttv` by `dimension`, `ttv_retention` by band only), the same
numbers are computed per segment from `marts.account_ttv`, the per-account mart.
"""

from __future__ import annotations

import datetime as dt
import html
import json
import os
import time
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from dagster_project.lib import dbt_manifest
from dagster_project.lib.sql import literal

# Groups this small are marked on the page: a median of 3 accounts is an anecdote.
SMALL_GROUP = 5
BANDS = dbt_manifest.ttv_bands()  # dbt_project.yml declares them
# The default catalogue's segments and group, in the order a reader expects them; others follow.
PREFERRED_ORDER = ["Enterprise", "Mid-Market", "SMB", "sales_led", "PLG"]
# The first edition pooled every segment in an `All` row (§4); §4.1 replaced it with groups.
POOLED_ROWS = ("all",)
# Cohort dimensions compared within segments (issue 13: pre-onboarding, template against
# custom, high against low touch).
COMPARED_DIMENSIONS = {
    "pre_onboarding": "Pre-onboarding",
    "configuration_approach": "Configuration: template or custom",
    "touch_model": "Touch model: high or low",
}
# Accounts drawn per segment in the open-accounts chart: the longest-running ones; the chart
# of a 20,000-account warehouse stays light enough for a laptop.
OPEN_ACCOUNTS_PER_SEGMENT = 60
PALETTE = [
    "#1f77b4",
    "#ff7f0e",
    "#2ca02c",
    "#7f7f7f",
    "#9467bd",
    "#8c564b",
    "#e377c2",
    "#17becf",
    "#bcbd22",
    "#d62728",
]
# fastest green to slowest red, one colour per band in BANDS' order
BAND_COLORS = dict(
    zip(BANDS, ["#1a9850", "#91cf60", "#fdae61", "#d73027", "#a50026"], strict=False)
)
PLOTLY_CONFIG = {
    "displaylogo": False,
    "responsive": True,
    "modeBarButtonsToRemove": ["select2d", "lasso2d"],
}


def report_path(warehouse: Path) -> Path:
    """The report beside the warehouse: `<TTV_WAREHOUSE>.report.html`."""
    warehouse = Path(warehouse)
    return warehouse.with_name(warehouse.name + ".report.html")


# ------------------------------------------------------------------------------------------
# Reading the published warehouse
# ------------------------------------------------------------------------------------------


class Warehouse:
    """The published file attached read-only to an in-memory DuckDB, plus what it holds."""

    def __init__(self, path: Path):
        self.path = Path(path)
        if not self.path.exists():
            raise FileNotFoundError(f"no published warehouse at {self.path}")
        self.con = duckdb.connect()
        self.con.execute("set TimeZone = 'UTC'")
        self.con.execute("attach ? as wh (read_only)", [str(self.path)])
        self.columns: dict[str, set[str]] = {}
        for schema, table, column in self.con.execute(
            "select table_schema, table_name, column_name from information_schema.columns "
            "where table_catalog = 'wh'"
        ).fetchall():
            self.columns.setdefault(f"{schema}.{table}", set()).add(column)

    def has(self, table: str, *columns: str) -> bool:
        """Whether `marts.<table>` (or `schema.table`) exists with every given column."""
        name = table if "." in table else f"marts.{table}"
        return name in self.columns and set(columns) <= self.columns[name]

    def rows(self, sql: str, params=None) -> list[dict]:
        cur = self.con.execute(sql, params or [])
        names = [d[0] for d in cur.description]
        return [dict(zip(names, r, strict=False)) for r in cur.fetchall()]

    def close(self):
        self.con.close()


@dataclass
class Context:
    """What every section needs: the warehouse, the as-of date and the segments and groups."""

    wh: Warehouse
    as_of: dt.date
    units: list[str]  # segments and groups, in display order
    groups: dict[str, list[str]]  # group -> its segments
    value_milestone: dict[str, str]  # segment or group -> what its TTV measures
    target_days: dict[str, float]

    @property
    def month_start(self) -> dt.date:
        last = self.as_of - dt.timedelta(days=1)  # as-of is 00:00 UTC: its day is not known yet
        return last.replace(day=1)

    @property
    def quarter_start(self) -> dt.date:
        m = self.month_start
        return m.replace(month=3 * ((m.month - 1) // 3) + 1)

    @property
    def trailing_start(self) -> dt.date:
        # 12 calendar months before as-of (SPEC §4.1 trailing_12_months)
        return _add_months(self.as_of, -12)

    def color(self, unit: str) -> str:
        return PALETTE[self.units.index(unit) % len(PALETTE)] if unit in self.units else "#444"

    def label(self, unit: str) -> str:
        """A segment or group with its clock, when it is not the sales-led `value_achieved`."""
        milestone = self.value_milestone.get(unit)
        return f"{unit} (to {milestone})" if milestone and milestone != "value_achieved" else unit


def _add_months(day: dt.date, months: int) -> dt.date:
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    return day.replace(year=year, month=month + 1, day=min(day.day, 28))


def _order(values) -> list[str]:
    values = list(dict.fromkeys(v for v in values if v is not None))
    known = [v for v in PREFERRED_ORDER if v in values]
    return known + sorted(v for v in values if v not in known)


def _segment_groups(wh: Warehouse, segments: list[str]) -> dict[str, list[str]]:
    """Segment groups: the catalogue's (a config table with a segment and a group column, SPEC
    §4.1), else the segments that share a clock in `account_ttv`, as §4.1 defines a group."""
    for table, columns in sorted(wh.columns.items()):
        group_col = next((c for c in sorted(columns) if "group" in c and c != "segment"), None)
        if table.startswith("config.") and "segment" in columns and group_col:
            groups: dict[str, list[str]] = {}
            for r in wh.rows(
                f'select "{group_col}" as g, segment from wh.{table} '
                'where segment is not null and "' + group_col + '" is not null'
            ):
                if r["segment"] in segments:
                    groups.setdefault(r["g"], []).append(r["segment"])
            return {g: _order(s) for g, s in groups.items() if len(s) > 1}
    if not wh.has("account_ttv", "start_milestone", "value_milestone"):
        return {}
    clocks: dict[tuple, list[str]] = {}
    for r in wh.rows(
        "select distinct segment, start_milestone, value_milestone "
        "from wh.marts.account_ttv where segment is not null"
    ):
        clocks.setdefault((r["start_milestone"], r["value_milestone"]), []).append(r["segment"])
    groups = {}
    for members in clocks.values():
        if len(set(members)) > 1:
            members = _order(set(members))
            name = (
                "sales_led"
                if set(members) == {"Enterprise", "Mid-Market", "SMB"}
                else " + ".join(members)
            )
            groups[name] = members
    return groups


def load_context(wh: Warehouse) -> Context:
    if not wh.has("account_ttv", "segment", "as_of_date"):
        raise LookupError(
            f"{wh.path} has no marts.account_ttv with segment and as_of_date: "
            "is it a published TTV warehouse?"
        )
    as_of = wh.rows("select max(as_of_date) as d from wh.marts.account_ttv")[0]["d"]
    if as_of is None:  # an empty warehouse: the date of the run is not in it
        as_of = dt.datetime.now(dt.UTC).date()
    segments = _order(
        r["segment"] for r in wh.rows("select distinct segment from wh.marts.account_ttv")
    )
    groups = _segment_groups(wh, segments)
    # a group the aggregate marts hold that neither the catalogue nor the clocks named (members
    # unknown): its rows are still shown where a mart has them
    for table in ("cohort_ttv", "ttv_retention", "journey_step_summary"):
        if wh.has(table, "segment"):
            for r in wh.rows(f"select distinct segment from wh.marts.{table}"):
                if (
                    r["segment"]
                    and r["segment"] not in segments
                    and r["segment"] not in groups
                    and r["segment"].lower() not in POOLED_ROWS
                ):
                    groups[r["segment"]] = []
    units = _order([*segments, *groups])
    milestone, target = {}, {}
    if wh.has("account_ttv", "value_milestone"):
        for r in wh.rows(
            "select segment, any_value(value_milestone) as m, max(target_days) as t "
            "from wh.marts.account_ttv group by segment"
        ):
            milestone[r["segment"]], target[r["segment"]] = r["m"], r["t"]
    for g, members in groups.items():
        if members:
            milestone[g] = milestone.get(members[0])
    wh.con.execute("create or replace temp table units (unit varchar, segment varchar)")
    members = [(s, s) for s in segments] + [(g, s) for g, ss in groups.items() for s in ss]
    if members:
        wh.con.executemany("insert into units values (?, ?)", members)
    return Context(wh, as_of, units, groups, milestone, target)


# ------------------------------------------------------------------------------------------
# The page's pieces
# ------------------------------------------------------------------------------------------


@dataclass
class Section:
    key: str
    title: str
    reading: str
    sources: list[str]
    charts: list[str] = field(default_factory=list)  # Plotly divs
    tables: list[str] = field(default_factory=list)
    note: str = ""


@dataclass
class Omitted:
    title: str
    why: str


def fmt_days(value) -> str:
    return "–" if value is None else f"{value:.1f}"


def fmt_share(value) -> str:
    return "–" if value is None else f"{100 * value:.0f}%"


def small(n) -> bool:
    return n is not None and 0 < n < SMALL_GROUP


def _esc(value) -> str:
    return html.escape("" if value is None else str(value))


def _cell(text: str, n=None, metric: str | None = None, show_n: bool = False) -> str:
    """A table cell; `metric` names the number for the browser test, small groups are marked."""
    attr = f' data-metric="{_esc(metric)}"' if metric else ""
    mark = (
        f' <span class="small" title="fewer than {SMALL_GROUP} accounts">n&lt;{SMALL_GROUP}</span>'
        if small(n)
        else ""
    )
    count = f' <span class="n">n={n or 0}</span>' if show_n else ""
    return f"<td><span{attr}>{_esc(text)}</span>{mark}{count}</td>"


def _table(headers: list[str], body: list[str], cls: str = "") -> str:
    head = "".join(f"<th>{_esc(h)}</th>" for h in headers)
    return (
        f'<table class="{cls}"><thead><tr>{head}</tr></thead><tbody>'
        + "".join(f"<tr>{r}</tr>" for r in body)
        + "</tbody></table>"
    )


def _figure_html(fig, key: str) -> str:
    """The figure as a div for the page; nothing when it has no data to draw."""
    import plotly.io as pio

    if not any(
        len(getattr(trace, "x", None) or getattr(trace, "y", None) or ()) for trace in fig.data
    ):
        return ""

    # template "none" plus a few settings rather than "plotly_white": building a full template
    # for each figure took most of the report's time (2 of 4 s at 20,000 accounts)
    axis = {
        "automargin": True,
        "gridcolor": "#e5e8ee",
        "zerolinecolor": "#c9ced8",
        "linecolor": "#c9ced8",
    }
    fig.update_layout(
        template="none",
        font={"family": "system-ui, sans-serif", "size": 12, "color": "#2a3140"},
        paper_bgcolor="#fff",
        plot_bgcolor="#fff",
        colorway=PALETTE,
        margin={"l": 10, "r": 10, "t": 30, "b": 10},
        hoverlabel={"align": "left"},
        legend={"orientation": "h", "y": -0.18, "traceorder": "normal"},
    )
    fig.update_xaxes(**axis)
    fig.update_yaxes(**axis)
    div = pio.to_html(
        fig,
        full_html=False,
        include_plotlyjs=False,
        div_id=f"chart-{key}",
        config=PLOTLY_CONFIG,
        default_width="100%",
    )
    return f'<div class="chart" data-chart="{_esc(key)}">{div}</div>'


def _rows_axis(ctx: Context, units: list[str]) -> dict:
    """A category axis listing segments and groups in the report's order, top to bottom."""
    return {
        "categoryorder": "array",
        "categoryarray": [ctx.label(u) for u in units],
        "autorange": "reversed",
    }


# ------------------------------------------------------------------------------------------
# Sections
# ------------------------------------------------------------------------------------------


def headline(ctx: Context) -> tuple[Section, list[dict]]:
    """Median TTV of the accounts that reached value this month, this quarter and over the
    trailing 12 months (by the date of value, SPEC §4.1 `period_basis` value), per segment."""
    import plotly.graph_objects as go

    wh = ctx.wh
    windows = {
        "month": ctx.month_start,
        "quarter": ctx.quarter_start,
        "trailing_12_months": ctx.trailing_start,
    }
    if wh.has("cohort_ttv", "period_basis", "segment"):
        source = "marts.cohort_ttv (period_basis value, dimension all)"
        found = wh.rows(
            "select segment as unit, period_grain as grain, median_ttv_days as median, "
            "accounts as n from wh.marts.cohort_ttv where period_basis = 'value' "
            "and lower(dimension) = 'all' and ((period_grain = 'month' and cohort_period = ?) "
            "or (period_grain = 'quarter' and cohort_period = ?) "
            "or period_grain = 'trailing_12_months')",
            [ctx.month_start, ctx.quarter_start],
        )
    else:
        source = "marts.account_ttv (accounts by the date they reached value)"
        found = wh.rows(
            "with reached as (select u.unit, a.ttv_days, cast(a.value_at as date) as value_date "
            "  from wh.marts.account_ttv as a join units as u on a.segment = u.segment "
            "  where a.ttv_days is not null) "
            "select unit, grain, quantile_cont(ttv_days, 0.5) as median, count(*) as n "
            "from reached, (values ('month', ?::date), ('quarter', ?::date), "
            "  ('trailing_12_months', ?::date)) as w(grain, since) "
            "where value_date >= since and value_date < ? group by all",
            [ctx.month_start, ctx.quarter_start, ctx.trailing_start, ctx.as_of],
        )
    by = {(r["unit"], r["grain"]): r for r in found}
    within = _within_target(ctx)
    labels = {
        "month": ctx.month_start.strftime("%B %Y"),
        "quarter": f"{ctx.quarter_start.year}-Q{(ctx.quarter_start.month + 2) // 3}",
        "trailing_12_months": "trailing 12 months",
    }
    headline_rows, body = [], []
    for unit in ctx.units:
        row = {"segment": unit, "measures": ctx.value_milestone.get(unit)}
        cells = [f"<th>{_esc(ctx.label(unit))}</th>"]
        for grain in windows:
            r = by.get((unit, grain), {})
            row[f"median_ttv_days_{grain}"] = r.get("median")
            row[f"accounts_{grain}"] = r.get("n") or 0
            cells.append(
                _cell(
                    fmt_days(r.get("median")),
                    r.get("n") or 0,
                    f"median_ttv_days.{grain}.{unit}",
                    show_n=True,
                )
            )
        if within is not None:
            w = within.get(unit, {})
            row["share_within_target"] = w.get("share")
            cells.append(
                _cell(fmt_share(w.get("share")), w.get("n"), f"share_within_target.{unit}")
            )
        headline_rows.append(row)
        body.append("".join(cells))
    headers = [
        "segment",
        f"this month ({labels['month']})",
        f"this quarter ({labels['quarter']})",
        "trailing 12 months",
    ] + (["within target (T12M starts)"] if within is not None else [])
    fig = go.Figure()
    for grain, color in zip(windows, ["#9ecae1", "#4292c6", "#08519c"], strict=False):
        units = [u for u in ctx.units if by.get((u, grain), {}).get("median") is not None]
        fig.add_bar(
            name=labels[grain],
            y=[ctx.label(u) for u in units],
            orientation="h",
            x=[by[(u, grain)]["median"] for u in units],
            marker_color=color,
            marker_opacity=[0.45 if small(by[(u, grain)]["n"]) else 1 for u in units],
            customdata=[
                [by[(u, grain)]["n"], " (small group)" if small(by[(u, grain)]["n"]) else ""]
                for u in units
            ],
            hovertemplate="%{y}<br>median %{x:.1f} days<br>n=%{customdata[0]}%{customdata[1]}"
            "<extra>" + labels[grain] + "</extra>",
        )
    targets = [u for u in ctx.units if ctx.target_days.get(u) is not None]
    fig.add_scatter(
        name="target",
        y=[ctx.label(u) for u in targets],
        x=[ctx.target_days[u] for u in targets],
        mode="markers",
        marker={"symbol": "line-ns-open", "size": 18, "color": "#000", "line": {"width": 2}},
        hovertemplate="%{y}: target %{x} days<extra></extra>",
    )
    fig.update_layout(
        barmode="group",
        height=120 + 70 * len(ctx.units),
        xaxis_title="median days to value",
        yaxis=_rows_axis(ctx, ctx.units),
    )
    parts = []
    for unit in ctx.units:
        r = by.get((unit, "trailing_12_months"))
        if r and r["median"] is not None:
            parts.append(
                f"{ctx.label(unit)} {fmt_days(r['median'])} d" + (" (n<5)" if small(r["n"]) else "")
            )
    reading = (
        "Over the trailing 12 months, the accounts that reached value took a median of "
        + "; ".join(parts)
        + "."
        if parts
        else "No account reached value in the trailing 12 months."
    )
    sources = [source] + ([within["_source"]] if within else [])
    if within is not None:
        within.pop("_source", None)
    return Section(
        "headline",
        "Median time to value",
        reading,
        sources,
        [_figure_html(fig, "headline")],
        [_table(headers, body, "headline")],
        note="Windows by the date the account reached value. Sales-led segments "
        "measure signature to value confirmed; PLG sign-up to first value: "
        "the two are never pooled. Within target: of the accounts started in "
        "the trailing 12 months whose target window has ended, the share that "
        "reached value within it.",
    ), headline_rows


def _within_target(ctx: Context) -> dict | None:
    """Share of the accounts started in the trailing 12 months whose target window has ended
    that reached value within it (SPEC §4.1 `share_within_target`)."""
    wh = ctx.wh
    if wh.has("cohort_ttv", "period_basis", "segment", "share_within_target"):
        found = wh.rows(
            "select segment as unit, share_within_target as share, accounts as n "
            "from wh.marts.cohort_ttv where period_basis = 'start' and lower(dimension) = 'all' "
            "and period_grain = 'trailing_12_months'"
        )
        result = {r["unit"]: r for r in found}
        result["_source"] = "marts.cohort_ttv (share_within_target, trailing 12 months)"
        return result
    if not wh.has("account_ttv", "target_days", "start_at", "ttv_days", "data_issue"):
        return None
    found = wh.rows(
        "select u.unit, avg(case when a.ttv_days <= a.target_days then 1.0 else 0.0 end) as share,"
        " count(*) as n from wh.marts.account_ttv as a join units as u on a.segment = u.segment "
        "where a.data_issue is null and a.target_days is not null "
        "and cast(a.start_at as date) >= ? "
        "and epoch(a.start_at) + a.target_days * 86400 <= epoch(?::timestamp) group by all",
        [ctx.trailing_start, ctx.as_of],
    )
    result = {r["unit"]: r for r in found}
    result["_source"] = "marts.account_ttv (ttv_days against target_days)"
    return result


def distribution(ctx: Context) -> Section:
    """Accounts that reached value in the trailing 12 months, by TTV band, per segment."""
    import plotly.graph_objects as go

    found = ctx.wh.rows(
        "select u.unit, a.ttv_band as band, count(*) as n from wh.marts.account_ttv as a "
        "join units as u on a.segment = u.segment where a.ttv_days is not null "
        "and cast(a.value_at as date) >= ? and cast(a.value_at as date) < ? "
        f"and a.ttv_band in ({', '.join(map(literal, BANDS))}) group by all",
        [ctx.trailing_start, ctx.as_of],
    )
    counts = {(r["unit"], r["band"]): r["n"] for r in found}
    totals = {u: sum(counts.get((u, b), 0) for b in BANDS) for u in ctx.units}
    units = [u for u in ctx.units if totals[u]]
    fig = go.Figure()
    for band in BANDS:
        shares = [counts.get((u, band), 0) / totals[u] for u in units]
        fig.add_bar(
            name=f"{band} days",
            orientation="h",
            y=[ctx.label(u) for u in units],
            x=shares,
            marker_color=BAND_COLORS[band],
            customdata=[[counts.get((u, band), 0), totals[u]] for u in units],
            hovertemplate="%{y}<br>" + band + " days: %{x:.0%} (%{customdata[0]} of "
            "%{customdata[1]})<extra></extra>",
        )
    fig.update_layout(
        barmode="stack",
        height=100 + 50 * max(len(units), 1),
        xaxis={"tickformat": ".0%", "range": [0, 1]},
        yaxis=_rows_axis(ctx, units),
    )
    if units:
        parts = []
        for u in units:
            band = max(BANDS, key=lambda b: counts.get((u, b), 0))
            parts.append(
                f"{ctx.label(u)} {band} days ("
                f"{fmt_share(counts.get((u, band), 0) / totals[u])} of {totals[u]})"
            )
        reading = "The most common band: " + ", ".join(parts) + "."
    else:
        reading = "No account reached value in the trailing 12 months."
    body = [
        f"<th>{_esc(ctx.label(u))}</th>"
        + "".join(_cell(str(counts.get((u, b), 0)), None, f"band_accounts.{b}.{u}") for b in BANDS)
        + _cell(str(totals[u]), totals[u])
        for u in units
    ]
    return Section(
        "distribution",
        "Distribution by TTV band",
        reading,
        ["marts.account_ttv (ttv_band; reached value in the trailing 12 months)"],
        [_figure_html(fig, "distribution")],
        [_table(["segment", *(f"{b} days" for b in BANDS), "accounts"], body)],
    )


def by_segment_and_csm(ctx: Context) -> Section:
    """TTV quartiles per segment and group, and median TTV per CSM within each segment."""
    import plotly.graph_objects as go

    stats = ctx.wh.rows(
        "select u.unit, count(*) as accounts, count(a.ttv_days) as n, "
        "quantile_cont(a.ttv_days, 0.25) as p25, quantile_cont(a.ttv_days, 0.5) as median, "
        "quantile_cont(a.ttv_days, 0.75) as p75, min(a.ttv_days) as lo, max(a.ttv_days) as hi "
        "from wh.marts.account_ttv as a join units as u on a.segment = u.segment group by all"
    )
    stats = {r["unit"]: r for r in stats}
    segments = [u for u in ctx.units if u not in ctx.groups]
    name = (
        "coalesce(account_name, account_id)"
        if ctx.wh.has("account_ttv", "account_name")
        else "account_id"
    )
    # the hover names the accounts behind a CSM's median: the three slowest
    csm = ctx.wh.rows(
        "select segment, coalesce(csm_owner, 'no CSM') as csm, count(*) as accounts, "
        "count(ttv_days) as n, quantile_cont(ttv_days, 0.5) as median, "
        f"list({name} || ' (' || cast(round(ttv_days, 1) as varchar) || ' d)' "
        "order by ttv_days desc) filter (where ttv_days is not null)[1:3] as slowest "
        "from wh.marts.account_ttv group by all having count(ttv_days) > 0 "
        "order by segment, median"
    )
    fig = go.Figure()
    units = [u for u in ctx.units if stats.get(u, {}).get("n")]
    for u in units:
        s = stats[u]
        fig.add_trace(
            go.Box(
                name=ctx.label(u),
                y=[ctx.label(u)],
                q1=[s["p25"]],
                median=[s["median"]],
                q3=[s["p75"]],
                lowerfence=[s["lo"]],
                upperfence=[s["hi"]],
                orientation="h",
                marker_color=ctx.color(u),
                showlegend=False,
                hoverinfo="x+name",
            )
        )
    fig.update_layout(
        height=100 + 55 * len(units),
        yaxis=_rows_axis(ctx, units),
        title={"text": "days to value: min, quartiles, max", "x": 0},
    )
    fig_csm = go.Figure()
    for seg in segments:
        mine = [r for r in csm if r["segment"] == seg]
        if not mine:
            continue
        fig_csm.add_scatter(
            name=ctx.label(seg),
            x=[r["median"] for r in mine],
            y=[f"{r['csm']} · {seg}" for r in mine],
            mode="markers",
            marker={
                "color": ctx.color(seg),
                "size": 10,
                "symbol": ["circle-open" if small(r["n"]) else "circle" for r in mine],
            },
            customdata=[
                [
                    r["csm"],
                    r["n"],
                    r["accounts"],
                    " (small group)" if small(r["n"]) else "",
                    ", ".join(r["slowest"] or []),
                ]
                for r in mine
            ],
            hovertemplate="%{customdata[0]} (" + seg + ")<br>median %{x:.1f} days<br>"
            "%{customdata[1]} of %{customdata[2]} accounts reached value"
            "%{customdata[3]}<br>slowest: %{customdata[4]}<extra></extra>",
        )
    fig_csm.update_layout(
        height=max(260, 120 + 18 * len(csm)),
        yaxis={"autorange": "reversed"},
        xaxis_title="median days to value",
        title={"text": "median per CSM, within each segment (fastest first)", "x": 0},
    )
    # the reading: the widest gap between CSMs of one segment, groups of 5 or more only
    best = None
    for seg in segments:
        mine = [r for r in csm if r["segment"] == seg and not small(r["n"])]
        if len(mine) >= 2:
            fast, slow = mine[0], mine[-1]
            gap = slow["median"] - fast["median"]
            if best is None or gap > best[2]["median"] - best[1]["median"]:
                best = (seg, fast, slow)
    if best:
        seg, fast, slow = best
        reading = (
            f"Widest spread within a segment: in {seg}, {fast['csm']}'s accounts reached "
            f"value in a median {fmt_days(fast['median'])} days (n={fast['n']}), "
            f"{slow['csm']}'s in {fmt_days(slow['median'])} (n={slow['n']})."
        )
    else:
        reading = (
            f"No segment has two CSMs with {SMALL_GROUP} or more accounts that reached "
            "value: the CSM medians below are small groups."
        )
    body = [
        f"<th>{_esc(ctx.label(u))}</th>"
        + _cell(str(stats[u]["accounts"]))
        + _cell(str(stats[u]["n"]), stats[u]["n"])
        + _cell(fmt_days(stats[u]["p25"]))
        + _cell(fmt_days(stats[u]["median"]), None, f"median_ttv_days.all_time.{u}")
        + _cell(fmt_days(stats[u]["p75"]))
        + _cell(fmt_days(ctx.target_days.get(u)))
        for u in units
    ]
    return Section(
        "segments",
        "TTV by segment and by CSM",
        reading,
        ["marts.account_ttv (ttv_days, csm_owner; all accounts)"],
        [_figure_html(fig, "segments"), _figure_html(fig_csm, "csm")],
        [_table(["segment", "accounts", "reached value", "p25", "median", "p75", "target"], body)],
        note="Hollow markers: fewer than 5 accounts reached value.",
    )


def _cohort_rows(ctx: Context, grain: str) -> tuple[list[dict], str] | None:
    """cohort_ttv rows of one grain per segment (and group), by start of the clock."""
    wh = ctx.wh
    if wh.has("cohort_ttv", "period_basis", "segment"):
        where = "period_basis = 'start' and lower(dimension) = 'all' and period_grain = ?"
        unit = "segment"
        source = "marts.cohort_ttv (period_basis start, dimension all)"
    elif wh.has("cohort_ttv", "dimension", "dimension_value", "period_grain"):
        # first edition: only the per-segment rows compare like with like
        where = "dimension = 'segment' and period_grain = ?"
        unit = "dimension_value"
        source = "marts.cohort_ttv (dimension segment)"
    else:
        return None
    km = "km_median_ttv_days" if wh.has("cohort_ttv", "km_median_ttv_days") else "null"
    n = "accounts_with_ttv" if wh.has("cohort_ttv", "accounts_with_ttv") else "reached_value"
    label = (
        "cohort_label" if wh.has("cohort_ttv", "cohort_label") else "cast(cohort_period as varchar)"
    )
    rows = wh.rows(
        f"select {unit} as unit, cohort_period, {label} as label, accounts, reached_value, "
        f"{n} as n, median_ttv_days as median, {km} as km_median from wh.marts.cohort_ttv "
        f"where {where} and cohort_period < ? order by cohort_period",
        [grain, ctx.as_of],
    )
    return [r for r in rows if r["unit"] in ctx.units], source


def trend(ctx: Context) -> Section | Omitted:
    """Median TTV per monthly start cohort, per segment: are we getting faster?"""
    import plotly.graph_objects as go

    months = _cohort_rows(ctx, "month")
    if months is None:
        return Omitted("Trend", "needs marts.cohort_ttv")
    months, source = months
    quarters = _cohort_rows(ctx, "quarter")[0]
    # monthly cohorts when most of them are big enough to read, else quarterly ones
    drawn = [r for r in months if r["median"] is not None]
    grain = "month" if sum(small(r["n"]) for r in drawn) <= len(drawn) / 2 else "quarter"
    points = months if grain == "month" else quarters
    fig = go.Figure()
    for u in ctx.units:
        mine = [r for r in points if r["unit"] == u and r["median"] is not None]
        if not mine:
            continue
        fig.add_scatter(
            name=ctx.label(u),
            x=[r["cohort_period"] for r in mine],
            y=[r["median"] for r in mine],
            mode="lines+markers",
            line={"color": ctx.color(u)},
            marker={
                "size": 8,
                "symbol": ["circle-open" if small(r["n"]) else "circle" for r in mine],
            },
            customdata=[
                [
                    r["label"],
                    r["n"],
                    r["accounts"],
                    fmt_days(r["km_median"]),
                    " (small group)" if small(r["n"]) else "",
                ]
                for r in mine
            ],
            hovertemplate=ctx.label(u) + ", started %{customdata[0]}<br>median %{y:.1f} days "
            "(%{customdata[1]} of %{customdata[2]} reached value%{customdata[4]})"
            "<br>Kaplan-Meier median %{customdata[3]}<extra></extra>",
            legendgroup=u,
        )
        km = [r for r in mine if r["km_median"] is not None]
        if km:
            fig.add_scatter(
                name=f"{ctx.label(u)}, Kaplan-Meier",
                x=[r["cohort_period"] for r in km],
                y=[r["km_median"] for r in km],
                mode="lines",
                legendgroup=u,
                showlegend=False,
                line={"color": ctx.color(u), "dash": "dot", "width": 1.5},
                customdata=[[r["label"], r["accounts"]] for r in km],
                hovertemplate=ctx.label(u) + ", started %{customdata[0]}<br>Kaplan-Meier median "
                "%{y:.1f} days (%{customdata[1]} accounts)<extra></extra>",
            )
    fig.update_layout(height=380, yaxis_title="median days to value", xaxis_title=f"start {grain}")
    # the reading: the Kaplan-Meier median where the mart has it (a cohort still onboarding
    # has only its fast accounts in the plain median), over the last two ended quarters
    key = "km_median" if any(r["km_median"] is not None for r in quarters) else "median"
    best = None
    for u in ctx.units:
        mine = [
            r
            for r in quarters
            if r["unit"] == u
            and r[key] is not None
            and not small(r["n"])
            and r["cohort_period"] < ctx.quarter_start
        ]
        if len(mine) >= 2:
            a, b = mine[-2], mine[-1]
            if best is None or abs(b[key] - a[key]) > abs(best[2][key] - best[1][key]):
                best = (u, a, b)
    if best:
        u, a, b = best
        verb = "fell" if b[key] < a[key] else "rose"
        what = "Kaplan-Meier median" if key == "km_median" else "median"
        reading = (
            f"Biggest change between the last two ended start quarters: {ctx.label(u)}'s "
            f"{what} {verb} from {fmt_days(a[key])} days ({a['label']}, "
            f"{a['accounts']} accounts) to {fmt_days(b[key])} ({b['label']}, "
            f"{b['accounts']} accounts)."
        )
    else:
        reading = "Too few accounts per quarter (under 5 reached value) to call a trend."
    return Section(
        "trend",
        "Trend: are we getting faster?",
        reading,
        [source],
        [_figure_html(fig, "trend")],
        note="Cohorts by start of the clock. Solid: median of the accounts that "
        "reached value; dotted: the Kaplan-Meier median, which also counts the "
        "accounts still onboarding (the latest cohorts' solid line shows only "
        "their fast accounts). Hollow markers: fewer than 5 reached value.",
    )


def cohorts(ctx: Context) -> Section | Omitted:
    """Quarter against quarter, and pre-onboarding, template/custom and touch within segments."""
    import plotly.graph_objects as go

    charts, readings, sources = [], [], []
    quarters = _cohort_rows(ctx, "quarter")
    if quarters:
        rows, source = quarters
        sources.append(source)
        # the quarter in progress has barely started onboarding: the last three ended ones
        labels = sorted(
            {
                r["label"]
                for r in rows
                if r["median"] is not None and r["cohort_period"] < ctx.quarter_start
            }
        )[-3:]
        fig = go.Figure()
        for i, q in enumerate(labels):
            mine = {r["unit"]: r for r in rows if r["label"] == q and r["median"] is not None}
            units = [u for u in ctx.units if u in mine]
            fig.add_bar(
                name=q,
                orientation="h",
                y=[ctx.label(u) for u in units],
                x=[mine[u]["median"] for u in units],
                marker_color=["#c6dbef", "#6baed6", "#08519c"][i - len(labels) + 3],
                marker_opacity=[0.45 if small(mine[u]["n"]) else 1 for u in units],
                customdata=[
                    [mine[u]["n"], " (small group)" if small(mine[u]["n"]) else ""] for u in units
                ],
                hovertemplate="%{y}, started " + q + "<br>median %{x:.1f} days, "
                "n=%{customdata[0]}%{customdata[1]}<extra></extra>",
            )
        fig.update_layout(
            barmode="group",
            height=120 + 60 * len(ctx.units),
            title={"text": "start quarter against start quarter", "x": 0},
            yaxis=_rows_axis(ctx, ctx.units),
            xaxis_title="median days to value",
        )
        charts.append(_figure_html(fig, "cohorts-quarter"))
        big = max(
            ctx.units, default=None, key=lambda u: sum(r["n"] or 0 for r in rows if r["unit"] == u)
        )
        seq = [
            r for r in rows if r["unit"] == big and r["label"] in labels and r["median"] is not None
        ]
        if seq:
            readings.append(
                f"{ctx.label(big)} by start quarter: "
                + " → ".join(
                    f"{r['label']} {fmt_days(r['median'])} d" + (" (n<5)" if small(r["n"]) else "")
                    for r in seq
                )
            )
    for dim, title in COMPARED_DIMENSIONS.items():
        found = _dimension_rows(ctx, dim)
        if found is None:
            continue
        rows, source = found
        if source not in sources:
            sources.append(source)
        # segments only: a group pools segments whose mix differs between the values (SMB is
        # mostly low touch, Enterprise high), which would show the mix, not the practice
        units = [
            u
            for u in ctx.units
            if u not in ctx.groups
            and len({r["value"] for r in rows if r["unit"] == u and r["median"] is not None}) > 1
        ]
        if not units:
            continue
        fig = go.Figure()
        for i, value in enumerate(sorted({r["value"] for r in rows if r["unit"] in units})):
            mine = {
                r["unit"]: r
                for r in rows
                if r["value"] == value and r["unit"] in units and r["median"] is not None
            }
            us = [u for u in units if u in mine]
            fig.add_bar(
                name=_value_label(dim, value),
                orientation="h",
                y=[ctx.label(u) for u in us],
                x=[mine[u]["median"] for u in us],
                marker_color=["#6a51a3", "#fd8d3c", "#74c476", "#969696"][i % 4],
                marker_opacity=[0.45 if small(mine[u]["n"]) else 1 for u in us],
                customdata=[
                    [
                        mine[u]["n"],
                        mine[u]["accounts"],
                        " (small group)" if small(mine[u]["n"]) else "",
                    ]
                    for u in us
                ],
                hovertemplate="%{y}, " + _value_label(dim, value) + "<br>median %{x:.1f} "
                "days<br>%{customdata[0]} of %{customdata[1]} accounts "
                "reached value%{customdata[2]}<extra></extra>",
            )
        fig.update_layout(
            barmode="group",
            height=120 + 55 * len(units),
            title={"text": title, "x": 0},
            yaxis=_rows_axis(ctx, units),
            xaxis_title="median days to value",
        )
        charts.append(_figure_html(fig, f"cohorts-{dim}"))
        gap = _widest_gap(ctx, rows, units)
        if gap:
            u, a, b = gap
            readings.append(
                f"within {ctx.label(u)}, {_value_label(dim, a['value'])} "
                f"{fmt_days(a['median'])} d (n={a['n']}) against "
                f"{_value_label(dim, b['value'])} {fmt_days(b['median'])} d "
                f"(n={b['n']})"
            )
    charts = [c for c in charts if c]
    if not charts:
        return Omitted(
            "Cohort comparisons",
            "needs marts.cohort_ttv or the cohort dimensions in marts.account_ttv",
        )
    reading = ("; ".join(readings) + ".") if readings else "No comparison has groups of 5 or more."
    if reading.startswith("within"):
        reading = "W" + reading[1:]
    return Section(
        "cohorts",
        "Cohort comparisons",
        reading,
        sources,
        charts,
        note="Start quarters per segment and group; the other comparisons "
        "within one segment only (within a group they would show the "
        "mix of its segments). Faded bars: fewer than 5 accounts "
        "reached value.",
    )


def _value_label(dim: str, value) -> str:
    if dim == "pre_onboarding":
        return {"true": "with pre-onboarding", "false": "without pre-onboarding"}.get(
            str(value).lower(), f"pre-onboarding {value}"
        )
    if dim == "touch_model":
        return f"{value} touch"
    return str(value)


def _widest_gap(ctx: Context, rows: list[dict], units: list[str]):
    best = None
    for u in units:
        mine = sorted(
            (r for r in rows if r["unit"] == u and r["median"] is not None and not small(r["n"])),
            key=lambda r: r["median"],
        )
        if len(mine) >= 2 and (
            best is None
            or mine[-1]["median"] - mine[0]["median"] > best[2]["median"] - best[1]["median"]
        ):
            best = (u, mine[0], mine[-1])
    return best


def _dimension_rows(ctx: Context, dim: str) -> tuple[list[dict], str] | None:
    """All-time median TTV per segment (and group) and value of one cohort dimension."""
    wh = ctx.wh
    if wh.has("cohort_ttv", "period_basis", "segment"):
        n = "accounts_with_ttv" if wh.has("cohort_ttv", "accounts_with_ttv") else "reached_value"
        rows = wh.rows(
            f"select segment as unit, dimension_value as value, accounts, {n} as n, "
            "median_ttv_days as median from wh.marts.cohort_ttv where period_basis = 'start' "
            "and period_grain = 'all_time' and dimension = ?",
            [dim],
        )
        if rows:
            return rows, "marts.cohort_ttv (period_grain all_time, per segment)"
    if not wh.has("account_ttv", dim, "ttv_days"):
        return None
    rows = wh.rows(
        f"select u.unit, coalesce(lower(cast(a.\"{dim}\" as varchar)), 'unknown') as value, "
        "count(*) as accounts, count(a.ttv_days) as n, quantile_cont(a.ttv_days, 0.5) as median "
        "from wh.marts.account_ttv as a join units as u on a.segment = u.segment group by all"
    )
    return rows, "marts.account_ttv (per segment; all accounts)"


def retention(ctx: Context) -> Section | Omitted:
    """Renewal of the first term, and expansion where the warehouse has it, by TTV band."""
    import plotly.graph_objects as go

    wh = ctx.wh
    if wh.has("ttv_retention", "segment", "ttv_band", "renewal_rate"):
        cols = wh.columns["marts.ttv_retention"]
        extra = [c for c in ("expansion_rate_12m", "nrr_12m", "accounts_12m") if c in cols]
        rows = wh.rows(
            "select segment as unit, ttv_band as band, accounts, renewed, churned, renewal_rate"
            + "".join(f", {c}" for c in extra)
            + " from wh.marts.ttv_retention"
        )
        source = "marts.ttv_retention (per segment and band, paying accounts)"
    elif wh.has("account_ttv", "renewal_outcome", "first_term_arr", "ttv_band"):
        extra = []
        # a free account that never paid has no first term to renew (SPEC §4.1)
        rows = wh.rows(
            "select u.unit, a.ttv_band as band, count(*) as accounts, "
            "count(case when renewal_outcome = 'renewed' then 1 end) as renewed, "
            "count(case when renewal_outcome = 'churned' then 1 end) as churned, "
            "count(case when renewal_outcome = 'renewed' then 1 end) / nullif(count(case when "
            "renewal_outcome in ('renewed', 'churned') then 1 end), 0) as renewal_rate "
            "from wh.marts.account_ttv as a join units as u on a.segment = u.segment "
            "where a.first_term_arr is not null and a.ttv_band is not null group by all"
        )
        source = "marts.account_ttv (renewal_outcome of paying accounts, per segment)"
    else:
        return Omitted("Retention and expansion by TTV band", "needs marts.ttv_retention")
    bands = [*BANDS, "not_reached"]
    rows = [r for r in rows if r["unit"] in ctx.units and r["band"] in bands]
    fig = go.Figure()
    for u in ctx.units:
        mine = {r["band"]: r for r in rows if r["unit"] == u and r["renewal_rate"] is not None}
        bs = [b for b in bands if b in mine]
        if not bs:
            continue
        decided = [mine[b]["renewed"] + mine[b]["churned"] for b in bs]
        fig.add_bar(
            name=ctx.label(u),
            x=bs,
            y=[mine[b]["renewal_rate"] for b in bs],
            marker_color=ctx.color(u),
            marker_opacity=[0.35 if small(d) else 1 for d in decided],
            customdata=[
                [
                    mine[b]["renewed"],
                    mine[b]["churned"],
                    mine[b]["accounts"],
                    " (small group)" if small(d) else "",
                ]
                for b, d in zip(bs, decided, strict=False)
            ],
            hovertemplate=ctx.label(u) + ", %{x} days<br>renewal rate %{y:.0%}<br>"
            "%{customdata[0]} renewed, %{customdata[1]} churned of "
            "%{customdata[2]} accounts%{customdata[3]}<extra></extra>",
        )
    fig.update_layout(
        height=380,
        barmode="group",
        yaxis={"tickformat": ".0%", "range": [0, 1.05], "title": "renewal rate of the first term"},
        xaxis={"title": "TTV band (days)", "categoryorder": "array", "categoryarray": bands},
    )
    charts = [_figure_html(fig, "retention")]
    if "expansion_rate_12m" in extra:
        fig2 = go.Figure()
        for u in ctx.units:
            mine = {
                r["band"]: r
                for r in rows
                if r["unit"] == u and r.get("expansion_rate_12m") is not None
            }
            bs = [b for b in bands if b in mine]
            if bs:
                fig2.add_bar(
                    name=ctx.label(u),
                    x=bs,
                    y=[mine[b]["expansion_rate_12m"] for b in bs],
                    marker_color=ctx.color(u),
                    customdata=[
                        [mine[b].get("accounts_12m"), fmt_share(mine[b].get("nrr_12m"))] for b in bs
                    ],
                    hovertemplate=ctx.label(u) + ", %{x} days<br>expanded within 12 "
                    "months: %{y:.0%} of %{customdata[0]}<br>NRR 12m "
                    "%{customdata[1]}<extra></extra>",
                )
        fig2.update_layout(
            barmode="group",
            height=340,
            yaxis={"tickformat": ".0%", "title": "expanded within 12 months"},
            xaxis={"categoryorder": "array", "categoryarray": bands},
        )
        charts.append(_figure_html(fig2, "expansion"))
    # reading: fastest band against slowest band, for the largest segment or group
    best = None
    for u in ctx.units:
        mine = {
            r["band"]: r
            for r in rows
            if r["unit"] == u and r["renewal_rate"] is not None and r["band"] in BANDS
        }
        bs = [b for b in BANDS if b in mine]
        # compare bands with 5 or more ended terms when there are two of them
        big = [b for b in bs if not small(mine[b]["renewed"] + mine[b]["churned"])]
        bs = big if len(big) >= 2 else bs
        if len(bs) >= 2:
            total = sum(mine[b]["renewed"] + mine[b]["churned"] for b in bs)
            if best is None or total > best[0]:
                best = (total, u, mine[bs[0]], mine[bs[-1]])
    if best:
        _, u, a, b = best
        na, nb = a["renewed"] + a["churned"], b["renewed"] + b["churned"]
        reading = (
            f"{ctx.label(u)}: accounts that reached value in {a['band']} days renewed at "
            f"{fmt_share(a['renewal_rate'])} (n={na}{', small' if small(na) else ''}), "
            f"{b['band']} days at {fmt_share(b['renewal_rate'])} "
            f"(n={nb}{', small' if small(nb) else ''})."
        )
    else:
        reading = "Too few first terms have ended (renewed or churned) to compare bands."
    if not extra:
        reading += " Expansion by band needs marts.account_revenue (SPEC §9), not built yet."
    return Section(
        "retention",
        "Retention and expansion by TTV band",
        reading,
        [source],
        charts,
        note="Renewal rate = renewed / (renewed + churned) of the first terms that have "
        "ended. Faded bars: fewer than 5 such terms.",
    )


def stalled(ctx: Context) -> Section:
    """Who is stuck now: stalled_accounts (SPEC §9.3) when built, else the open accounts of
    account_ttv; and the outliers among the accounts that reached value."""
    import plotly.graph_objects as go

    wh = ctx.wh
    name = (
        "coalesce(a.account_name, a.account_id)"
        if wh.has("account_ttv", "account_name")
        else "a.account_id"
    )
    stalled_mart = wh.has(
        "stalled_accounts", "account_id", "segment", "days_since_progress", "is_stalled"
    )
    if stalled_mart:
        cols = wh.columns["marts.stalled_accounts"]
        opt = {
            c: (f"s.{c}" if c in cols else "null")
            for c in (
                "csm_owner",
                "days_onboarding",
                "target_days",
                "days_over_target",
                "last_milestone",
                "next_milestone",
                "next_owner",
                "first_term_arr",
            )
        }
        open_rows = wh.rows(
            f"select s.account_id, {name.replace('a.account_id', 's.account_id')} as name, "
            f"s.segment, {opt['csm_owner']} as csm, {opt['days_onboarding']} as days, "
            f"{opt['target_days']} as target, s.days_since_progress as idle, s.is_stalled, "
            f"{opt['last_milestone']} as last_milestone, "
            f"{opt['next_milestone']} as next_milestone, "
            f"{opt['next_owner']} as next_owner, {opt['first_term_arr']} as arr "
            "from wh.marts.stalled_accounts as s "
            + (
                "left join wh.marts.account_ttv as a on s.account_id = a.account_id "
                if "account_name" in name
                else ""
            )
            + "order by s.days_since_progress desc"
        )
        sources = ["marts.stalled_accounts"]
    else:
        open_rows = wh.rows(
            f"select a.account_id, {name} as name, a.segment, a.csm_owner as csm, "
            "a.days_onboarding as days, a.target_days as target, null as idle, "
            "a.value_status = 'overdue' as is_stalled, null as last_milestone, "
            "null as next_milestone, null as next_owner, a.first_term_arr as arr, "
            "a.onboarding_progress as progress from wh.marts.account_ttv as a "
            "where a.value_status in ('in_progress', 'overdue') order by a.days_onboarding desc"
        )
        sources = ["marts.account_ttv (value_status in_progress and overdue)"]
    segments = [u for u in ctx.units if u not in ctx.groups]
    fig = go.Figure()
    for seg in segments:
        mine = [r for r in open_rows if r["segment"] == seg][:OPEN_ACCOUNTS_PER_SEGMENT]
        if not mine:
            continue
        fig.add_scatter(
            name=ctx.label(seg),
            mode="markers",
            y=[ctx.label(seg)] * len(mine),
            x=[r["idle"] if stalled_mart else r["days"] for r in mine],
            marker={
                "color": ctx.color(seg),
                "size": 10,
                "opacity": 0.75,
                "symbol": ["x" if r["is_stalled"] else "circle" for r in mine],
            },
            customdata=[
                [
                    r["name"],
                    r["csm"] or "no CSM",
                    fmt_days(r["days"]),
                    fmt_days(r["target"]),
                    r["next_milestone"] or "–",
                    "{:,.0f}".format(r["arr"]) if r["arr"] is not None else "–",
                ]
                for r in mine
            ],
            hovertemplate="%{customdata[0]} (CSM %{customdata[1]})<br>"
            + ("%{x:.1f} days since progress, next: %{customdata[4]}<br>" if stalled_mart else "")
            + "%{customdata[2]} days onboarding, target %{customdata[3]}<br>"
            "ARR %{customdata[5]}<extra></extra>",
        )
    fig.update_layout(
        height=140 + 60 * len(segments),
        showlegend=False,
        xaxis_title=(
            "days since last progress" if stalled_mart else "days onboarding (still open)"
        ),
        yaxis=_rows_axis(ctx, segments),
    )
    flagged = [r for r in open_rows if r["is_stalled"]]
    per_seg = {s: sum(1 for r in flagged if r["segment"] == s) for s in segments}
    word = "stalled" if stalled_mart else "overdue"
    if flagged:
        worst = max(
            flagged,
            key=lambda r: r["idle"] if stalled_mart else (r["days"] or 0) - (r["target"] or 0),
        )
        arr = sum(r["arr"] or 0 for r in flagged)
        reading = (
            f"{len(flagged)} open account{' is' if len(flagged) == 1 else 's are'} {word} ("
            + ", ".join(f"{s} {n}" for s, n in per_seg.items() if n)
            + (f"; {arr:,.0f} of first-term ARR" if arr else "")
            + "); the longest is "
            f"{worst['name']} ({worst['segment']}, {fmt_days(worst['days'])} days against "
            f"a target of {fmt_days(worst['target'])}, CSM {worst['csm'] or 'none'})."
        )
    else:
        reading = f"No open account is {word}; {len(open_rows)} are onboarding within target."
    top = sorted(
        flagged,
        key=lambda r: (
            -((r["idle"] if stalled_mart else (r["days"] or 0) - (r["target"] or 0)) or 0)
        ),
    )[:10]
    tables = (
        [
            _table(
                [
                    "account",
                    "segment",
                    "CSM",
                    "days onboarding",
                    "target",
                    *(["days since progress", "next milestone"] if stalled_mart else []),
                    "first-term ARR",
                ],
                [
                    "".join(
                        [
                            _cell(r["name"]),
                            _cell(r["segment"]),
                            _cell(r["csm"] or "–"),
                            _cell(fmt_days(r["days"])),
                            _cell(fmt_days(r["target"])),
                            *(
                                [_cell(fmt_days(r["idle"])), _cell(r["next_milestone"] or "–")]
                                if stalled_mart
                                else []
                            ),
                            _cell("{:,.0f}".format(r["arr"]) if r["arr"] is not None else "–"),
                        ]
                    )
                    for r in top
                ],
            )
        ]
        if top
        else []
    )
    # outliers: reached value far slower than the segment (beyond p75 + 1.5 IQR)
    outliers = wh.rows(
        f"with q as (select segment, quantile_cont(ttv_days, 0.25) as p25, "
        "quantile_cont(ttv_days, 0.75) as p75 from wh.marts.account_ttv group by segment) "
        f"select {name} as name, a.segment, a.csm_owner as csm, a.ttv_days, "
        "q.p75 + 1.5 * (q.p75 - q.p25) as fence from wh.marts.account_ttv as a "
        "join q on a.segment = q.segment where a.ttv_days > q.p75 + 1.5 * (q.p75 - q.p25) "
        "order by a.ttv_days / nullif(q.p75, 0) desc limit 10"
    )
    if outliers:
        tables.append(
            "<h3>Slowest outliers among the accounts that reached value</h3>"
            + _table(
                ["account", "segment", "CSM", "days to value", "segment's outlier fence"],
                [
                    "".join(
                        [
                            _cell(r["name"]),
                            _cell(r["segment"]),
                            _cell(r["csm"] or "–"),
                            _cell(fmt_days(r["ttv_days"])),
                            _cell(fmt_days(r["fence"])),
                        ]
                    )
                    for r in outliers
                ],
            )
        )
        reading += (
            f" {len(outliers)} account{'s' if len(outliers) > 1 else ''} reached value "
            "beyond their segment's outlier fence (p75 + 1.5 IQR)."
        )
    note = (
        "Crosses: stalled (no progress for longer than the segment allows)."
        if stalled_mart
        else "Crosses: overdue (past the segment's target). Who is stalled, and at which "
        "milestone, needs marts.stalled_accounts (SPEC §9.3), not built yet."
    )
    return Section(
        "stalled",
        "Outliers and stalled accounts",
        reading,
        sources + ["marts.account_ttv (outliers)"],
        [_figure_html(fig, "stalled")],
        tables,
        note=note + f" At most {OPEN_ACCOUNTS_PER_SEGMENT} accounts per "
        "segment are drawn, the longest-running.",
    )


def journey(ctx: Context) -> Section | Omitted:
    """Where the journey loses time: median days per step, per segment, the bottleneck named."""
    import plotly.graph_objects as go

    wh = ctx.wh
    if not wh.has(
        "journey_step_summary",
        "journey",
        "step",
        "step_order",
        "segment",
        "median_days",
        "accounts_completed",
    ):
        return Omitted("Where the journey loses time", "needs marts.journey_step_summary")
    share = "share_of_journey" if wh.has("journey_step_summary", "share_of_journey") else "null"
    bottleneck = "is_bottleneck" if wh.has("journey_step_summary", "is_bottleneck") else "false"
    rows = wh.rows(
        f"select journey, step, step_order, segment as unit, accounts_completed as n, "
        f"median_days as median, {share} as share, {bottleneck} as is_bottleneck "
        "from wh.marts.journey_step_summary where accounts_completed > 0 "
        "and lower(segment) not in ('all') order by journey, step_order, step"
    )
    # a segment's rows of a journey that does not reach its value milestone are left out: the
    # first edition measured PLG on the sales-led journeys, whose steps PLG never takes
    reaches = {
        (r["journey"], r["unit"])
        for r in rows
        if r["step"].endswith(f"-> {ctx.value_milestone.get(r['unit'])}")
    }
    rows = [
        r
        for r in rows
        if r["unit"] in ctx.units
        and (not ctx.value_milestone or (r["journey"], r["unit"]) in reaches)
    ]
    charts, parts = [], []
    for jname in dict.fromkeys(r["journey"] for r in rows):
        mine = [r for r in rows if r["journey"] == jname]
        units = [u for u in ctx.units if any(r["unit"] == u for r in mine)]
        fig = go.Figure()
        steps = list(dict.fromkeys(r["step"] for r in sorted(mine, key=lambda r: r["step_order"])))
        for i, step in enumerate(steps):
            by = {r["unit"]: r for r in mine if r["step"] == step}
            us = [u for u in units if u in by]
            fig.add_bar(
                name=step,
                orientation="h",
                y=[ctx.label(u) for u in us],
                x=[by[u]["median"] for u in us],
                marker_color=PALETTE[i % len(PALETTE)],
                marker_line={
                    "color": ["#000" if by[u]["is_bottleneck"] else "rgba(0,0,0,0)" for u in us],
                    "width": 2,
                },
                marker_opacity=[0.45 if small(by[u]["n"]) else 1 for u in us],
                customdata=[
                    [
                        by[u]["n"],
                        fmt_share(by[u]["share"]),
                        " · bottleneck" if by[u]["is_bottleneck"] else "",
                        " (small group)" if small(by[u]["n"]) else "",
                    ]
                    for u in us
                ],
                hovertemplate="%{y}: " + step + "%{customdata[2]}<br>median %{x:.1f} days, "
                "%{customdata[1]} of the journey<br>%{customdata[0]} accounts "
                "completed%{customdata[3]}<extra></extra>",
            )
        fig.update_layout(
            barmode="stack",
            height=160 + 50 * len(units),
            title={"text": f"journey: {jname}", "x": 0},
            yaxis=_rows_axis(ctx, units),
            xaxis_title="median days per step",
            legend={"y": -0.3, "traceorder": "normal"},
        )
        charts.append(_figure_html(fig, f"journey-{jname}"))
        # the reading: per journey, each bottleneck step and the segments where it is one
        found: dict[str, list[dict]] = {}
        for r in mine:
            if r["is_bottleneck"] and r["unit"] not in ctx.groups and not small(r["n"]):
                found.setdefault(r["step"], []).append(r)
        for step, rs in found.items():
            shares = [r["share"] for r in rs if r["share"] is not None]
            parts.append(
                f"{jname} at {step} in {', '.join(r['unit'] for r in rs)} ("
                + (
                    f"{fmt_share(min(shares))}"
                    + (
                        f"–{fmt_share(max(shares))}"
                        if len(shares) > 1 and max(shares) > min(shares)
                        else ""
                    )
                    + " of the journey"
                    if shares
                    else ""
                )
                + f", median {fmt_days(min(r['median'] for r in rs))}"
                + (f"–{fmt_days(max(r['median'] for r in rs))}" if len(rs) > 1 else "")
                + " d)"
            )
    if not charts:
        return Omitted("Where the journey loses time", "no completed journey step yet")
    reading = (
        "Most time is lost " + "; ".join(parts) + "."
        if parts
        else "No step has 5 or more completed accounts yet."
    )
    return Section(
        "journey",
        "Where the journey loses time",
        reading,
        ["marts.journey_step_summary (per segment)"],
        charts,
        note="Outlined: the segment's bottleneck step. Faded: fewer than 5 accounts "
        "completed the step.",
    )


# ------------------------------------------------------------------------------------------
# The report
# ------------------------------------------------------------------------------------------


@dataclass
class Report:
    path: Path
    warehouse: Path
    as_of: dt.date
    headline: list[dict]
    sections: list[str]
    omitted: list[Omitted]
    seconds: float
    size_bytes: int

    def markdown(self) -> str:
        """The headline numbers and the file, for the asset's metadata in the Dagster UI."""
        lines = [
            f"**TTV report** as of {self.as_of}: [{self.path.name}]({self.path.as_uri()})",
            "",
            "| segment | this month | this quarter | trailing 12 months | n (12 months) |",
            "| --- | --- | --- | --- | --- |",
        ]
        for r in self.headline:
            lines.append(
                f"| {r['segment']} | {fmt_days(r['median_ttv_days_month'])} | "
                f"{fmt_days(r['median_ttv_days_quarter'])} | "
                f"{fmt_days(r['median_ttv_days_trailing_12_months'])} | "
                f"{r['accounts_trailing_12_months']} |"
            )
        lines += ["", "Median days to value (sales-led: to value_achieved; PLG: to first_value)."]
        if self.omitted:
            lines += ["", "Left out: " + "; ".join(f"{o.title} ({o.why})" for o in self.omitted)]
        return "\n".join(lines)


SECTIONS = (distribution, by_segment_and_csm, trend, cohorts, retention, stalled, journey)


def write_report(warehouse: Path, out: Path | None = None) -> Report:
    """Read the published warehouse and write its report (default beside it); one rename, so a
    reader never opens half a file."""
    started = time.perf_counter()
    warehouse = Path(warehouse)
    out = Path(out) if out else report_path(warehouse)
    wh = Warehouse(warehouse)
    try:
        ctx = load_context(wh)
        first, headline_rows = headline(ctx)
        sections, omitted = [first], []
        for build in SECTIONS:
            result = build(ctx)
            (omitted if isinstance(result, Omitted) else sections).append(result)
    finally:
        wh.close()
    page = render(ctx, sections, omitted)
    tmp = out.with_name(out.name + ".tmp")
    tmp.write_text(page, encoding="utf-8")
    os.replace(tmp, out)
    return Report(
        out,
        warehouse,
        ctx.as_of,
        headline_rows,
        [s.title for s in sections],
        omitted,
        round(time.perf_counter() - started, 2),
        out.stat().st_size,
    )


STYLE = """
:root { --ink: #1d2330; --muted: #5b6475; --line: #e3e6ec; --accent: #08519c; }
* { box-sizing: border-box; }
body { font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--ink);
       margin: 0; background: #f6f7f9; }
header, main, footer { max-width: 1100px; margin: 0 auto; padding: 0 24px; }
header { padding-top: 28px; }
h1 { font-size: 26px; margin: 0 0 4px; }
h2 { font-size: 20px; margin: 0 0 6px; }
h3 { font-size: 15px; margin: 18px 0 6px; }
.meta, .note, .source, footer { color: var(--muted); font-size: 13px; }
nav { margin: 12px 0 4px; font-size: 13px; }
nav a { margin-right: 14px; color: var(--accent); text-decoration: none; }
section { background: #fff; border: 1px solid var(--line); border-radius: 8px; padding: 20px 22px;
          margin: 18px 0; }
.reading { font-size: 16px; font-weight: 600; margin: 4px 0 12px; }
table { border-collapse: collapse; width: 100%; margin: 10px 0; font-size: 13px; }
th, td { text-align: left; padding: 5px 8px; border-bottom: 1px solid var(--line); }
td { font-variant-numeric: tabular-nums; }
table.headline td span[data-metric] { font-size: 20px; font-weight: 650; }
.n { color: var(--muted); font-size: 12px; }
.small { display: inline-block; font-size: 11px; color: #8a4b00; background: #fff1dc;
         border-radius: 4px; padding: 0 4px; }
.chart { width: 100%; }
.omitted li { margin: 4px 0; }
@media print {
  @page { size: A4; margin: 12mm; }
  body { background: #fff; font-size: 12px; }
  header, main, footer { max-width: none; padding: 0; }
  nav, .modebar-container { display: none !important; }
  section { border: none; padding: 0; margin: 0 0 10mm; break-inside: avoid-page; }
  .chart, table { break-inside: avoid; }
  h2 { break-after: avoid; }
}
"""

# Plotly sizes charts to their container once; redraw them for the printed page width and back.
RESIZE_SCRIPT = """
(function () {
  function resize() {
    document.querySelectorAll('.js-plotly-plot').forEach(function (el) {
      if (window.Plotly) { Plotly.Plots.resize(el); }
    });
  }
  window.addEventListener('beforeprint', resize);
  window.addEventListener('afterprint', resize);
  if (window.matchMedia) { window.matchMedia('print').addEventListener('change', resize); }
})();
"""


def render(ctx: Context, sections: list[Section], omitted: list[Omitted]) -> str:
    from plotly.offline import get_plotlyjs

    nav = "".join(f'<a href="#{s.key}">{_esc(s.title)}</a>' for s in sections)
    parts = []
    for s in sections:
        parts.append(
            f'<section id="{s.key}"><h2>{_esc(s.title)}</h2>'
            f'<p class="reading" data-reading="{s.key}">{_esc(s.reading)}</p>'
            + "".join(s.charts)
            + "".join(s.tables)
            + (f'<p class="note">{_esc(s.note)}</p>' if s.note else "")
            + f'<p class="source">Source: {_esc("; ".join(s.sources))}</p></section>'
        )
    if omitted:
        parts.append(
            '<section id="omitted"><h2>Not in this report yet</h2><ul class="omitted">'
            + "".join(f"<li>{_esc(o.title)}: {_esc(o.why)}</li>" for o in omitted)
            + "</ul></section>"
        )
    groups = "; ".join(f"{g} = {', '.join(m)}" for g, m in ctx.groups.items())
    meta = {
        "as_of": ctx.as_of.isoformat(),
        "warehouse": str(ctx.wh.path),
        "sections": [s.key for s in sections],
        "omitted": [o.title for o in omitted],
    }
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>TTV report, as of {ctx.as_of.isoformat()}</title>
<style>{STYLE}</style>
<script type="text/javascript">{get_plotlyjs()}</script>
<script type="application/json" id="report-meta">
{html.escape(json.dumps(meta), quote=False)}</script>
</head><body>
<header><h1>Time to value</h1>
<p class="meta">As of <strong data-metric="as_of">{ctx.as_of.isoformat()}</strong> (facts up to
00:00 UTC of that day) · published warehouse <code>{_esc(ctx.wh.path.name)}</code> ·
days from the start of the clock: contract signature (sales-led), first sign-up (PLG) ·
segment groups: {_esc(groups or "none")} · <span class="small">n&lt;{SMALL_GROUP}</span>
marks groups under {SMALL_GROUP} accounts</p>
<nav>{nav}</nav></header>
<main>{"".join(parts)}</main>
<footer><p>Every number is read from the marts of the published warehouse; a section whose
mart is not built is listed above as not in this report rather than estimated.</p></footer>
<script type="text/javascript">{RESIZE_SCRIPT}</script>
</body></html>
"""


def main(argv: list[str] | None = None) -> int:
    """`make report`: rewrite the report from the published warehouse, print its path."""
    import argparse

    from dagster_project import paths

    parser = argparse.ArgumentParser(description=main.__doc__)
    parser.add_argument(
        "--warehouse",
        type=Path,
        default=None,
        help="the published warehouse (default TTV_WAREHOUSE)",
    )
    parser.add_argument("--out", type=Path, default=None, help="default <warehouse>.report.html")
    args = parser.parse_args(argv)
    report = write_report(args.warehouse or paths.warehouse_path(), args.out)
    print(
        f"report {report.path} as of {report.as_of}: {len(report.sections)} sections, "
        f"{report.size_bytes / 1e6:.1f} MB, {report.seconds} s"
    )
    for o in report.omitted:
        print(f"  left out: {o.title} ({o.why})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
