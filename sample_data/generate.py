"""Deterministic sample landing zone in the canonical layout (SPEC §3).

`generate_landing(out_dir)` writes a realistic, reproducible CRM and product-analytics export:

- `crm/accounts.csv`, `crm/contracts.csv`, `crm/onboarding.csv`: accounts in four segments
  (Enterprise, Mid-Market, SMB, PLG) signed over the 18 months before `end_date`; one new-business
  contract per sales-led account (and per PLG account that converts), renewals whose probability
  falls with slower time to value, churn near the end of unrenewed terms (slow accounts leaning to
  "no value realized"), expansions more often and sooner for fast accounts, an onboarding experiment
  (variant B faster in Mid-Market only); onboarding milestone dates drawn step by step from the
  journey map (contract -> kickoff -> access -> configuration -> data migrated -> training -> first
  production use -> value), scaled per segment, with kickoffs before signature, steps run in
  parallel, stalled onboardings and milestones still in the future left empty.
- `product/events/events_<yyyy>_<mm>.<ext>`: one file per calendar month, the format chosen by
  the month's index mod 4 (csv, jsonl, jsonl.gz, parquet). Events follow the CRM timeline:
  sales-led users sign up after access is provisioned, PLG accounts start with a sign-up, the
  first project and the first teammate invitation make the "aha moment", and nothing happens
  after `end_date` or after an account churned.

Awkward data on purpose, so that loading, quarantine and deduplication have something to do:
events delivered twice (in two files, and a couple within one file), events of accounts the CRM
does not know, unparseable `occurred_at` values, one contract with an unparseable `signed_at`,
one account whose CSM-entered value date is a year before its contract (a `value_before_start`
data issue), timestamps with offsets and date-only values, account names with commas, quotes
and non-ASCII letters.

Everything comes from one numpy Generator seeded with `seed`; there is no wall clock, output rows
are sorted, gzip headers carry mtime 0 and Parquet is written by pyarrow with fixed settings, so
the same arguments give byte-identical files. Account-level work is vectorized; events are
generated in chunks of accounts as numpy arrays, staged in a temporary DuckDB database and written
month by month with DuckDB (csv, jsonl, jsonl.gz) and pyarrow (parquet), so tens of millions of
events need no Python object per event.

    python -m sample_data.generate --out data/landing
    python -m sample_data.generate --out /tmp/big --accounts 20000 \
        --events-per-account 250
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
import tempfile
import time
from datetime import date, datetime, timedelta
from pathlib import Path

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from dagster_project.lib.schema import table_columns
from dagster_project.lib.sql import literal

DAY = 86400.0
WINDOW_DAYS = 540  # accounts start over the 18 months before end_date
ACCOUNTS_PER_CHUNK = 1000  # event generation batch (fixed: part of what makes output reproducible)

SEGMENTS = ("Enterprise", "Mid-Market", "SMB", "PLG")
ENT, MM, SMB, PLG = range(4)
SEGMENT_SHARE = (0.15, 0.25, 0.30, 0.30)
SEGMENT_FACTOR = np.array([1.4, 1.0, 0.6, 0.3])  # multiplies every journey-map step
SALES_CYCLE_DAYS = ((30, 75, 180), (14, 40, 100), (3, 14, 45), (0, 0, 0))
USERS_RANGE = ((8, 41), (4, 16), (2, 7), (2, 6))  # [low, high) users of an account that invites
JOIN_SCALE_DAYS = np.array([20.0, 12.0, 6.0, 5.0])  # mean days from first invite to a user joining
EVENT_WEIGHT = np.array([3.0, 1.5, 1.0, 0.6])  # activity per user-day, relative
ARR_MEDIAN = np.array([150_000.0, 40_000.0, 9_000.0, 3_600.0])
ARR_SIGMA = np.array([0.5, 0.4, 0.35, 0.4])

REGIONS = ("NA", "EMEA", "APAC", "LATAM")
REGION_SHARE = (0.45, 0.35, 0.15, 0.05)
REGION_UTC_OFFSET_H = np.array([-5.0, 1.0, 8.0, -3.0])
INDUSTRIES = (
    "Software",
    "Financial Services",
    "Healthcare",
    "Retail",
    "Manufacturing",
    "Education",
    "Media",
    "Logistics",
)
INDUSTRY_SHARE = (0.24, 0.16, 0.12, 0.12, 0.12, 0.08, 0.08, 0.08)
PLAN_TIERS = ("starter", "pro", "business", "enterprise")
# Per segment: probability of each plan tier.
PLAN_BY_SEGMENT = np.array(
    [[0, 0, 0.1, 0.9], [0, 0.1, 0.6, 0.3], [0.1, 0.6, 0.3, 0], [0.6, 0.4, 0, 0]]
)
CHANNELS = ("direct", "partner", "self-serve")
CHANNEL_BY_SEGMENT = np.array([[0.8, 0.2, 0], [0.7, 0.3, 0], [0.65, 0.35, 0], [0, 0, 1.0]])
CSMS = ("Alice Moreau", "Ben Okafor", "Chen Wei", "Dana Levi", "Emil Novak", "Farah Haddad")
INTEGRATIONS = (
    "salesforce",
    "slack",
    "jira",
    "snowflake",
    "hubspot",
    "okta",
    "github",
    "google_workspace",
)
CHURN_REASONS = (
    "no_value_realized",
    "budget_cuts",
    "switched_competitor",
    "champion_left",
    "acquired",
    "product_gaps",
)
NAME_PREFIXES = (
    "North",
    "Blue",
    "Silver",
    "Bright",
    "Quantum",
    "Pioneer",
    "Summit",
    "Harbor",
    "Cedar",
    "Atlas",
    "Nova",
    "Granite",
    "Vertex",
    "Orchid",
    "Beacon",
    "Falcon",
    "Lumen",
    "Meridian",
    "Oak",
    "Riverside",
)
NAME_CORES = ("wind", "stone", "field", "point", "bridge", "works", "line", "gate", "leaf", "path")
NAME_KINDS = (
    "Analytics",
    "Health",
    "Logistics",
    "Foods",
    "Systems",
    "Capital",
    "Retail",
    "Robotics",
    "Media",
    "Energy",
    "Labs",
    "Learning",
)
NAME_SUFFIXES = ("Inc", "Ltd", "GmbH", "LLC", "Group", "Co", "SA", "plc")
AWKWARD_NAMES = (
    "Smith, Jones & Partners",
    'The "Blue Door" Company',
    "Zürich Logistik AG",
    "São Paulo Têxtil Ltda",
    "O'Brien & Daughters, Inc",
    "Café Noir; Paris",
)

# Journey-map steps, days between consecutive milestones (low, mode, high) at segment factor 1.
# ONBOARDING_FIELDS[i] is the onboarding column (config/schema.yml) of journey step i.
ONBOARDING_FIELDS = (
    "kickoff_at",
    "access_provisioned_at",
    "configuration_completed_at",
    "data_migrated_at",
    "training_completed_at",
    "first_production_use_at",
    "value_confirmed_at",
)
STEP_DAYS = ((3, 7, 14), (1, 3, 7), (7, 14, 30), (10, 21, 45), (5, 7, 10), (3, 10, 30), (7, 14, 45))
KICKOFF, ACCESS, CONFIG, DATA, TRAINING, PRODUCTION, VALUE = range(7)

# Product events. Codes index these tuples (and DuckDB lists, 1-based, when writing).
EVENT_NAMES = (
    "signed_up",
    "login",
    "project_created",
    "teammate_invited",
    "report_viewed",
    "dashboard_shared",
    "comment_added",
    "file_uploaded",
    "search_performed",
    "integration_connected",
    "export_downloaded",
)
SIGNED_UP, LOGIN, PROJECT, INVITE, REPORT, DASHBOARD, COMMENT = range(7)
BACKGROUND_NAMES = np.array([1, 2, 3, 4, 5, 6, 7, 8, 9, 10])
BACKGROUND_SHARE = np.array([0.34, 0.05, 0.03, 0.18, 0.05, 0.12, 0.08, 0.10, 0.01, 0.04])
SOURCES = ("web", "desktop", "ios", "android", "api")
SOURCE_SHARE = (0.62, 0.14, 0.1, 0.08, 0.06)
EXTRA_VALUES = {  # event code -> (property key, values)
    SIGNED_UP: ("method", ("email", "google", "sso")),
    PROJECT: ("template", ("blank", "kanban", "roadmap", "okr")),
    INVITE: ("role", ("member", "admin", "viewer")),
    REPORT: ("report", ("usage", "pipeline", "weekly", "ttv")),
    9: ("integration", ("slack", "jira", "salesforce", "github")),
}
# Event timestamp styles: Z, +02:00, -05:00, no offset.
EVENT_TZ_SHARE = (0.96, 0.01, 0.01, 0.02)
BAD_TIMESTAMPS = ("not-a-time", "2024-13-45T00:00:00Z", "2025-02-30T09:15:00Z")
# CRM timestamp styles: Z, no offset, +02:00, -05:00, date only.
CRM_TZ_SHARE = (0.72, 0.18, 0.04, 0.04, 0.02)
FORMATS = ("csv", "jsonl", "jsonl.gz", "parquet")  # by (year * 12 + month - 1) % 4


EPOCH = datetime(1970, 1, 1)
ID_MULTIPLIER = np.uint64(0x5DEECE66D)  # odd: a bijection of the 48-bit id space
ID_MASK = np.uint64((1 << 48) - 1)


# --- small helpers -----------------------------------------------------------------------------


def _tri(rng: np.random.Generator, low_mode_high, size) -> np.ndarray:
    low, mode, high = low_mode_high
    return rng.triangular(low, mode, high, size) if high > low else np.full(size, float(low))


def _business_seconds(rng: np.random.Generator, region: np.ndarray) -> np.ndarray:
    """Seconds after UTC midnight of a working-hours moment in each region's time zone."""
    local = np.clip(rng.normal(13.0, 2.5, region.shape), 7.0, 21.0) * 3600.0
    return np.floor((local - REGION_UTC_OFFSET_H[region] * 3600.0) % DAY)


def _snap(t: np.ndarray, seconds: np.ndarray) -> np.ndarray:
    """The same UTC day as `t` at `seconds` after midnight (infinite stays infinite)."""
    with np.errstate(invalid="ignore"):
        return np.where(np.isfinite(t), np.floor(t / DAY) * DAY + seconds, t)


def _off_weekend(t: np.ndarray, u: np.ndarray, p: float) -> np.ndarray:
    """Move a Saturday or Sunday moment back to Friday with probability p."""
    with np.errstate(invalid="ignore"):
        weekday = (np.floor(t / DAY) + 3) % 7  # 1970-01-01 was a Thursday; Monday = 0
        back = np.where(weekday >= 5, weekday - 4, 0) * DAY
        return np.where(np.isfinite(t) & (u < p), t - back, t)


def _fmt_ts(t: float, style: int) -> str:
    """One CRM timestamp as ISO-8601 text; '' when unknown."""
    if not np.isfinite(t):
        return ""
    dt = EPOCH + timedelta(seconds=int(t))
    if style == 0:
        return dt.isoformat() + "Z"
    if style == 1:
        return dt.isoformat()
    if style == 2:
        return (dt + timedelta(hours=2)).isoformat() + "+02:00"
    if style == 3:
        return (dt - timedelta(hours=5)).isoformat() + "-05:00"
    return dt.date().isoformat()


def _day(t: float) -> date:
    return (EPOCH + timedelta(seconds=int(t))).date()


def _ts(d: date) -> float:
    return (datetime(d.year, d.month, d.day) - EPOCH).total_seconds()


def _plus_year(d: date) -> date:
    try:
        return d.replace(year=d.year + 1)
    except ValueError:  # 29 February
        return d.replace(year=d.year + 1, day=28)


def _account_id(number: int, width: int) -> str:
    return f"acc_{number:0{width}d}"


# --- accounts, onboarding and contracts --------------------------------------------------------


def _simulate_accounts(rng: np.random.Generator, n: int, end_ts: float) -> dict:
    """Every account-level fact as arrays (times as float UTC seconds, inf = never)."""
    E = end_ts
    days_before = np.floor(WINDOW_DAYS * rng.random(n) ** 1.15) + 1  # more recent accounts
    start_day = np.sort(np.floor(E / DAY) - days_before)  # account ids follow the start of clock
    seg = rng.choice(4, n, p=SEGMENT_SHARE)
    region = rng.choice(4, n, p=REGION_SHARE)
    sales = seg != PLG
    start = start_day * DAY + _business_seconds(rng, region)
    start = np.where(sales, _off_weekend(start, rng.random(n), 0.9), start)  # signed on weekdays

    industry = rng.choice(len(INDUSTRIES), n, p=INDUSTRY_SHARE)
    plan = (rng.random(n)[:, None] > np.cumsum(PLAN_BY_SEGMENT[seg], axis=1)).sum(axis=1)
    channel = (rng.random(n)[:, None] > np.cumsum(CHANNEL_BY_SEGMENT[seg], axis=1)).sum(axis=1)
    plan, channel = np.minimum(plan, 3), np.minimum(channel, 2)
    csm = rng.integers(0, len(CSMS), n)
    has_csm = sales | (rng.random(n) < 0.15)
    speed = rng.lognormal(0.0, 0.25, n)

    # Onboarding attributes.
    kick_early = sales & (rng.random(n) < 0.10)  # kickoff during the sales process
    pre = sales & (kick_early | (rng.random(n) < 0.20))
    custom = sales & (rng.random(n) < np.where(seg == ENT, 0.6, 0.35))
    low_touch = (seg == PLG) | ((seg == SMB) & (rng.random(n) < 0.6))
    in_experiment = start > E - 270 * DAY
    variant = np.where(in_experiment, np.where(rng.random(n) < 0.5, 1, 2), 0)  # '', A, B
    n_integrations = np.where(sales, rng.integers(0, 4, n), rng.integers(0, 2, n))
    integration_order = np.argsort(rng.random((n, len(INTEGRATIONS))), axis=1)

    # Milestones: consecutive steps of the journey map, scaled by segment and account.
    steps = np.stack([_tri(rng, s, n) for s in STEP_DAYS], axis=1)
    steps *= (SEGMENT_FACTOR[seg] * speed)[:, None]
    steps[:, 1:] *= np.where(pre, 0.85, 1.0)[:, None]
    steps[:, CONFIG] *= np.where(custom, 1.3, 0.85)
    steps[:, DATA] *= 1.0 + 0.15 * n_integrations
    steps[:, TRAINING] *= np.where(low_touch, 1.2, 1.0)
    # The onboarding experiment (SPEC §9.5): variant B (guided configuration and migration)
    # shortens the steps from configuration on by 60% for Mid-Market and changes nothing
    # elsewhere, so marts.experiment_results has a real effect in one segment and none in SMB.
    steps[:, CONFIG:] *= np.where((variant == 2) & (seg == MM), 0.4, 1.0)[:, None]
    m = np.empty((n, 7))
    m[:, KICKOFF] = start + np.where(kick_early, -_tri(rng, (1, 5, 14), n), steps[:, 0]) * DAY
    for j in range(1, 7):
        m[:, j] = m[:, j - 1] + steps[:, j] * DAY
    # Some accounts run a step in parallel: a milestone dated before the one preceding it.
    parallel = sales & (rng.random(n) < 0.10)
    parallel_step = rng.integers(CONFIG, TRAINING + 1, n)
    frac = rng.uniform(0.2, 0.8, n)
    for j in (CONFIG, DATA, TRAINING):
        sel = parallel & (parallel_step == j)
        m[sel, j + 1 :] -= steps[sel, j][:, None] * DAY
        m[sel, j] = m[sel, j - 1] - frac[sel] * (m[sel, j - 1] - m[sel, j - 2])
    # CSMs record milestones in working hours; snapping keeps the designed order (only the
    # parallel steps come before their predecessor) and keeps post-signature steps after it.
    snapped = _snap(m, _business_seconds(rng, np.repeat(region, 7).reshape(n, 7)))
    m = np.where((m > start[:, None]) & (snapped <= start[:, None]), start[:, None] + 3600, snapped)
    running = m[:, KICKOFF].copy()
    for j in range(1, 7):
        free = ~(parallel & (parallel_step == j))
        m[:, j] = np.where(free, np.maximum(m[:, j], running + 1800), m[:, j])
        running = np.maximum(running, m[:, j])
    has_full = rng.random(n) < 0.6
    full = _snap(m[:, VALUE] + _tri(rng, (14, 35, 90), n) * DAY, _business_seconds(rng, region))
    full = np.where(has_full, full, np.inf)

    # Stalled onboardings: nothing after milestone `stall_at` - 1 is ever reached.
    stalled = sales & (rng.random(n) < 0.08)
    stall_at = np.where(stalled, rng.integers(1, 7, n), 7)
    reached_max = np.where(np.arange(7)[None, :] < stall_at[:, None], m, -np.inf).max(axis=1)
    stall_end = np.where(stalled, reached_max + rng.uniform(10, 60, n) * DAY, np.inf)

    # Product timeline. Sales-led users sign up after access; PLG accounts start with a sign-up.
    can_use = ~sales | (stall_at > ACCESS)
    signup = np.where(sales, m[:, ACCESS] + rng.uniform(0.02, 2.0, n) * DAY, start)
    signup = np.where(can_use, signup, np.inf)
    login = signup + np.where(sales, rng.uniform(60, 3 * 3600, n), rng.uniform(30, 600, n))
    proj_sales = np.maximum.reduce(
        [m[:, CONFIG] + rng.normal(0, 2, n) * DAY, login + 3600, start + 3600]
    )
    inv_sales = np.maximum.reduce(
        [proj_sales + rng.uniform(-2, 6, n) * DAY, login + 600, start + 3600]
    )
    proj_plg = np.maximum(start + rng.lognormal(np.log(3 * 3600), 1.5, n), login + 60)
    plg_invites = rng.random(n) < 0.75
    inv_plg = np.where(
        plg_invites, np.maximum(start + rng.lognormal(np.log(2 * DAY), 1.3, n), login + 120), np.inf
    )
    proj = np.where(sales, proj_sales, proj_plg)
    inv = np.where(sales, inv_sales, inv_plg)
    first_value = np.maximum(proj, inv)

    # PLG activity, conversion and churn.
    plg_fv = ~sales & np.isfinite(first_value)
    converts = ~sales & (rng.random(n) < np.where(plg_fv, 0.40, 0.08))
    convert_at = _snap(start + _tri(rng, (14, 45, 150), n) * DAY, _business_seconds(rng, region))
    # A PLG account drifts away: months after first value, or within weeks without it.
    drift_end = (
        start + np.where(plg_fv, rng.uniform(60, 400, n), rng.lognormal(np.log(20), 1.0, n)) * DAY
    )
    plg_churn_at = drift_end + rng.uniform(14, 45, n) * DAY
    plg_churns = (
        ~sales & ~converts & (rng.random(n) < np.where(plg_fv, 0.12, 0.40)) & (plg_churn_at < E)
    )

    signed = np.where(sales, start, np.where(converts & (convert_at < E), convert_at, np.inf))
    value_true = np.where(sales, np.where(stall_at == 7, m[:, VALUE], np.inf), first_value)

    # Sales cycle before the contract; PLG accounts are created by the sign-up.
    cycle = np.choose(seg, [_tri(rng, SALES_CYCLE_DAYS[s], n) for s in range(4)])
    created = np.where(
        sales,
        _snap(start - cycle * DAY, _business_seconds(rng, region)),
        start + rng.uniform(1, 600, n),
    )
    created = np.where(sales, np.minimum(created, start), created)

    return {
        "n": n,
        "seg": seg,
        "region": region,
        "sales": sales,
        "start": start,
        "industry": industry,
        "plan": plan,
        "channel": channel,
        "csm": csm,
        "has_csm": has_csm,
        "pre": pre,
        "custom": custom,
        "low_touch": low_touch,
        "variant": variant,
        "n_integrations": n_integrations,
        "integration_order": integration_order,
        "m": m,
        "full": full,
        "stall_at": stall_at,
        "stall_end": stall_end,
        "signup": signup,
        "login": login,
        "proj": proj,
        "inv": inv,
        "first_value": first_value,
        "converts": converts,
        "drift_end": drift_end,
        "plg_fv": plg_fv,
        "plg_churn_at": np.where(plg_churns, plg_churn_at, np.inf),
        "signed": signed,
        "value_true": value_true,
        "created": created,
        "u_renew": rng.random(n),
        "u_churn": rng.uniform(-7, 7, n),
        "u_churn2": rng.random(n),
        "u_start_month": rng.random(n),
        "arr": rng.lognormal(np.log(ARR_MEDIAN[seg]), ARR_SIGMA[seg]),
        "renew_lead": _tri(rng, (3, 14, 40), n),
        "renew_uplift": rng.uniform(1.0, 1.12, n),
        "u_expand": rng.random(n),
        "expand_after": _tri(rng, (30, 90, 240), n),
        "expand_share": rng.uniform(0.2, 0.6, n),
        "churn_reason": rng.integers(0, len(CHURN_REASONS), n),
        "renew_sod": _business_seconds(rng, region),
        "expand_sod": _business_seconds(rng, region),
        "users": np.choose(seg, [rng.integers(*USERS_RANGE[s], n) for s in range(4)]),
    }


def _renewal_probability(ttv_days: float) -> float:
    """Published retention by time to value (SPEC §1); much lower when value never came."""
    if not np.isfinite(ttv_days):
        return 0.30
    return 0.95 if ttv_days < 30 else 0.87 if ttv_days < 60 else 0.76 if ttv_days < 90 else 0.61


def _expansion_odds(ttv_days: float) -> tuple[float, float]:
    """Probability of an expansion and a factor on the time to it, by time to value: fast
    accounts expand more often and sooner."""
    if not np.isfinite(ttv_days) or ttv_days >= 90:
        return 0.06, 1.2
    return (0.45, 0.5) if ttv_days < 30 else (0.30, 0.8) if ttv_days < 60 else (0.15, 1.0)


def _contracts_and_churn(a: dict, end_ts: float) -> tuple[list[tuple], np.ndarray]:
    """Contracts per account (chronological) and each account's churn time (inf = active)."""
    E, n = end_ts, a["n"]
    end_day = _day(E)
    churn = a["plg_churn_at"].copy()
    contracts: list[tuple] = []  # (account index, type, signed_ts, start_date, end_date, arr)
    for i in range(n):
        signed = a["signed"][i]
        if not signed < E:
            continue
        arr = round(a["arr"][i], -2) if a["sales"][i] else round(a["arr"][i], -1)
        start_d = _day(signed)
        if a["u_start_month"][i] < 0.3:  # term starts on the first of the next month
            start_d = date(start_d.year + start_d.month // 12, start_d.month % 12 + 1, 1)
        end_d = _plus_year(start_d)
        contracts.append((i, "new_business", signed, start_d, end_d, arr))
        terms = [(start_d, end_d)]
        term_end = _ts(end_d)
        if end_d < end_day:  # the first term ended: renewed or churned
            value = a["value_true"][i]
            ttv = (value - a["start"][i]) / DAY if value < term_end else np.inf
            if a["u_renew"][i] < _renewal_probability(ttv):
                r_signed = _snap(
                    np.array([term_end - a["renew_lead"][i] * DAY]), np.array([a["renew_sod"][i]])
                )[0]
                r_end = _plus_year(end_d)
                contracts.append(
                    (i, "renewal", r_signed, end_d, r_end, round(arr * a["renew_uplift"][i], -1))
                )
                terms.append((end_d, r_end))
            else:
                c = term_end + a["u_churn"][i] * DAY
                if c >= E:
                    c = term_end + (E - term_end) * a["u_churn2"][i]
                churn[i] = c
        # Expansion ("exceed value") some months after value, co-terminated with the term: more
        # likely and sooner the faster value came (SPEC §9.1: does fast TTV bring expansion?).
        value = a["value_true"][i]
        ttv_days = (value - a["start"][i]) / DAY
        expand_p, expand_pace = _expansion_odds(ttv_days)
        if np.isfinite(value) and a["u_expand"][i] < expand_p:
            x = _snap(
                np.array([max(value, signed) + a["expand_after"][i] * expand_pace * DAY]),
                np.array([a["expand_sod"][i]]),
            )[0]
            if x < min(E, churn[i]):
                x_day = _day(x)
                term = next((t for t in terms if t[0] <= x_day < t[1]), None)
                if term is not None:
                    contracts.append(
                        (i, "expansion", x, x_day, term[1], round(arr * a["expand_share"][i], -1))
                    )
    return contracts, churn


def _write_csv(path: Path, table: str, rows: list[dict]) -> None:
    """One CRM export with the canonical table's columns (config/schema.yml) in their order; a
    column the generator does not simulate (one added to the declaration) is left empty."""
    header = table_columns()[table]
    unknown = {c for row in rows[:1] for c in row} - set(header)
    if unknown:
        raise ValueError(f"{table}: {', '.join(sorted(unknown))} not in config/schema.yml")
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(header)
        w.writerows([row.get(c, "") for c in header] for row in rows)


def _account_names(rng: np.random.Generator, n: int) -> list[str]:
    p = rng.integers(0, len(NAME_PREFIXES), n)
    c = rng.integers(0, len(NAME_CORES), n)
    k = rng.integers(0, len(NAME_KINDS), n)
    s = rng.integers(0, len(NAME_SUFFIXES), n)
    names = [
        f"{NAME_PREFIXES[p[i]]}{NAME_CORES[c[i]]} {NAME_KINDS[k[i]]} {NAME_SUFFIXES[s[i]]}"
        for i in range(n)
    ]
    awkward = rng.choice(n, size=min(n // 20, max(len(AWKWARD_NAMES), n // 100)), replace=False)
    for j, i in enumerate(sorted(awkward)):
        names[i] = AWKWARD_NAMES[j % len(AWKWARD_NAMES)]
    return names


def _write_crm(
    rng: np.random.Generator,
    a: dict,
    contracts: list[tuple],
    churn: np.ndarray,
    out_dir: Path,
    end_ts: float,
    width: int,
) -> dict:
    """crm/accounts.csv, crm/contracts.csv, crm/onboarding.csv; returns counts."""
    n, E = a["n"], end_ts
    ids = [_account_id(i + 1, width) for i in range(n)]
    names = _account_names(rng, n)
    style = rng.choice(len(CRM_TZ_SHARE), size=(n, 12), p=CRM_TZ_SHARE)
    no_date_only = np.where(style == 4, 0, style)  # created/churned/signed are never date-only
    csm_blank = ~a["has_csm"]

    churned = churn < E
    accounts = []
    for i in range(n):
        reason = ""
        if churned[i]:
            # slow value (90 days or more) churns for "no value realized" half the time: the
            # reason analysts look for in marts.churn_reasons (SPEC §9.2)
            slow = not (a["value_true"][i] - a["start"][i]) / DAY < 90
            reason = (
                "inactive"
                if not a["sales"][i] and not a["converts"][i]
                else "no_value_realized"
                if not a["value_true"][i] < churn[i]
                else "no_value_realized"
                if slow and a["churn_reason"][i] % 2 == 0
                else CHURN_REASONS[1 + a["churn_reason"][i] % (len(CHURN_REASONS) - 1)]
            )
        accounts.append(
            dict(
                account_id=ids[i],
                account_name=names[i],
                segment=SEGMENTS[a["seg"][i]],
                industry=INDUSTRIES[a["industry"][i]],
                plan_tier=PLAN_TIERS[a["plan"][i]],
                sales_channel=CHANNELS[a["channel"][i]],
                csm_owner="" if csm_blank[i] else CSMS[a["csm"][i]],
                region=REGIONS[a["region"][i]],
                created_at=_fmt_ts(a["created"][i], no_date_only[i, 0]),
                churned_at=_fmt_ts(churn[i] if churned[i] else np.inf, no_date_only[i, 1]),
                churn_reason=reason,
            )
        )
    _write_csv(out_dir / "crm" / "accounts.csv", "accounts", accounts)

    # Contracts: chronological per account, ids in that order. One unparseable signed_at.
    contracts = sorted(contracts, key=lambda c: (c[0], c[2]))
    no_date = np.array(CRM_TZ_SHARE[:4])
    contract_style = rng.choice(4, size=len(contracts), p=no_date / no_date.sum())
    bad_contract = -1
    if contracts:
        kinds = np.array([c[1] for c in contracts])
        for kind in ("expansion", "renewal", "new_business"):
            candidates = np.flatnonzero(kinds == kind)
            if len(candidates):
                bad_contract = int(rng.choice(candidates))
                break
    contract_rows = []
    for k, (i, kind, signed, start_d, end_d, arr) in enumerate(contracts):
        signed_text = _fmt_ts(signed, contract_style[k])
        if k == bad_contract:  # entered in a European day-first format: not ISO-8601
            signed_text = _day(signed).strftime("%d/%m/%Y")
        contract_rows.append(
            dict(
                contract_id=f"ct_{k + 1:06d}",
                account_id=ids[i],
                contract_type=kind,
                signed_at=signed_text,
                start_date=start_d.isoformat(),
                end_date=end_d.isoformat(),
                arr=f"{arr:.2f}",
            )
        )
    _write_csv(out_dir / "crm" / "contracts.csv", "contracts", contract_rows)

    # Onboarding: a CRM field is filled once the milestone happened (before end_date, churn and
    # any stall). PLG accounts have no CSM-run onboarding; a few with a CSM confirm value.
    m, sales = a["m"], a["sales"]
    limit = np.minimum(E, churn)
    reached = (m < limit[:, None]) & (np.arange(7)[None, :] < a["stall_at"][:, None])
    reached &= sales[:, None]
    plg_value = _snap(
        np.maximum(a["first_value"] + rng.uniform(1, 5, n) * DAY, m[:, VALUE]),
        _business_seconds(rng, a["region"]),
    )
    plg_confirms = ~sales & a["has_csm"] & (plg_value < limit)
    shown = np.where(reached, m, np.inf)
    shown[:, VALUE] = np.where(plg_confirms, plg_value, shown[:, VALUE])
    full = np.where(sales & reached[:, VALUE] & (a["full"] < limit), a["full"], np.inf)
    # A data-entry slip: one account's value confirmation typed a year early (before its start).
    slip = np.flatnonzero(reached[:, VALUE] & (m[:, VALUE] - 365 * DAY < a["start"]))
    value_before_start = 0
    if len(slip):
        i = int(rng.choice(slip))
        shown[i, VALUE] -= 365 * DAY
        value_before_start = 1
    onboarding = []
    for i in range(n):
        ints = ";".join(
            INTEGRATIONS[j] for j in a["integration_order"][i, : a["n_integrations"][i]]
        )
        onboarding.append(
            dict(
                account_id=ids[i],
                **{
                    field: _fmt_ts(shown[i, j], style[i, 2 + j])
                    for j, field in enumerate(ONBOARDING_FIELDS)
                },
                full_value_at=_fmt_ts(full[i], style[i, 9]),
                pre_onboarding="true" if a["pre"][i] else "false",
                configuration_approach="custom" if a["custom"][i] else "template",
                touch_model="low" if a["low_touch"][i] else "high",
                onboarding_variant=("", "A", "B")[a["variant"][i]],
                integrations=ints,
            )
        )
    _write_csv(out_dir / "crm" / "onboarding.csv", "onboarding", onboarding)
    return {
        "accounts": n,
        "contracts": len(contract_rows),
        "onboarding": n,
        "churned_accounts": int(churned.sum()),
        "bad_contract_signed_at": int(bad_contract >= 0),
        "value_before_start": value_before_start,
    }


# --- product events ----------------------------------------------------------------------------


def _months(ts: np.ndarray) -> np.ndarray:
    """Months since 1970-01 of UTC epoch seconds."""
    return ts.astype("datetime64[s]").astype("datetime64[M]").astype(np.int64)


def _event_ids(seq: np.ndarray, seed: int) -> np.ndarray:
    """Unique, scrambled 48-bit ids (a bijection of the sequence number)."""
    with np.errstate(over="ignore"):
        salt = np.uint64(seed % (1 << 32)) * np.uint64(1 << 16)
        x = (seq.astype(np.uint64) + salt) * ID_MULTIPLIER
    return (x & ID_MASK).astype(np.int64)


def _plan_activity(
    rng: np.random.Generator,
    a: dict,
    churn: np.ndarray,
    end_ts: float,
    accounts: int,
    events_per_account: int,
) -> dict:
    """Per account: when it is active, how many users, how many background events."""
    E, sales = end_ts, a["sales"]
    active_end = np.minimum.reduce([np.full(a["n"], E), churn, a["stall_end"]])
    plg_dormant = ~sales & ~a["converts"]
    active_end = np.where(
        plg_dormant & (~a["plg_fv"] | np.isfinite(a["plg_churn_at"])),
        np.minimum(active_end, a["drift_end"]),
        active_end,
    )
    active_end = np.floor(active_end)
    users = np.where(np.isfinite(a["inv"]), a["users"], 1)
    span = np.clip((active_end - a["login"]) / DAY, 0, None)
    span = np.where(np.isfinite(span), span, 0)
    fixed_estimate = float(((4 + 2 * (users - 1)) * (span > 0)).sum())
    weight = span * EVENT_WEIGHT[a["seg"]] * np.sqrt(users)
    budget = max(0.0, accounts * events_per_account - fixed_estimate)
    lam = budget * weight / weight.sum() if weight.sum() > 0 else np.zeros(a["n"])
    return {"active_end": active_end, "users": users, "n_bg": rng.poisson(lam)}


def _chunk_events(
    rng: np.random.Generator, a: dict, act: dict, lo: int, hi: int, bg_offset: int
) -> dict:
    """Events of accounts [lo, hi) as arrays: fixed milestone events, then background events."""
    acc = np.arange(lo, hi)
    end = act["active_end"][acc]
    users = act["users"][acc]
    seg = a["seg"][acc]
    # Users after the first join some time after the first invitation.
    extra = users - 1
    x_acc = np.repeat(np.arange(hi - lo), extra)
    first = np.concatenate([[0], np.cumsum(extra)[:-1]]) if len(extra) else np.zeros(0, np.int64)
    x_user = np.arange(len(x_acc)) - np.repeat(first, extra) + 1
    x_join = a["inv"][acc][x_acc] + rng.exponential(JOIN_SCALE_DAYS[seg][x_acc]) * DAY
    x_login = x_join + rng.uniform(60, 1800, len(x_acc))

    local = np.arange(hi - lo)
    zero = np.zeros(hi - lo, np.int64)
    parts_acc = [local, local, local, local, x_acc, x_acc]
    parts_user = [zero, zero, zero, zero, x_user, x_user]
    parts_name = [
        np.full(hi - lo, SIGNED_UP),
        np.full(hi - lo, LOGIN),
        np.full(hi - lo, PROJECT),
        np.full(hi - lo, INVITE),
        np.full(len(x_acc), SIGNED_UP),
        np.full(len(x_acc), LOGIN),
    ]
    parts_ts = [a["signup"][acc], a["login"][acc], a["proj"][acc], a["inv"][acc], x_join, x_login]
    f_acc = np.concatenate(parts_acc)
    f_user = np.concatenate(parts_user)
    f_name = np.concatenate(parts_name)
    f_ts = np.concatenate(parts_ts)
    keep = f_ts < end[f_acc]
    f_acc, f_user, f_name, f_ts = f_acc[keep], f_user[keep], f_name[keep], f_ts[keep]

    # Background activity: a random user who has joined, a random moment while active.
    n_bg = act["n_bg"][acc]
    b_acc = np.repeat(local, n_bg)
    b_user = np.floor(rng.random(len(b_acc)) * users[b_acc]).astype(np.int64)
    join_of = np.full(len(b_acc), np.inf)
    has_extra = b_user > 0
    join_of[has_extra] = x_login[first[b_acc[has_extra]] + b_user[has_extra] - 1]
    b_user = np.where(join_of < end[b_acc], b_user, 0)
    b_start = np.where(b_user > 0, join_of, a["login"][acc][b_acc])
    b_end = end[b_acc]
    t = b_start + (b_end - b_start) * rng.random(len(b_acc))
    moved = _snap(t, _business_seconds(rng, a["region"][acc][b_acc]))
    moved = _off_weekend(moved, rng.random(len(b_acc)), 0.7)
    t = np.where((moved >= b_start) & (moved < b_end), moved, t)
    t = np.minimum(np.floor(t), b_end - 1)
    b_name = rng.choice(BACKGROUND_NAMES, len(b_acc), p=BACKGROUND_SHARE / BACKGROUND_SHARE.sum())
    # Never a first project or invitation earlier than the account's designed first.
    b_name = np.where((b_name == PROJECT) & (t < a["proj"][acc][b_acc]), REPORT, b_name)
    b_name = np.where((b_name == INVITE) & ~(t >= a["inv"][acc][b_acc]), COMMENT, b_name)

    n_fixed = len(f_acc)
    ev = {
        "acc": np.concatenate([f_acc, b_acc]) + lo,
        "usr": np.concatenate([f_user, b_user]),
        "name": np.concatenate([f_name, b_name]),
        "ts": np.floor(np.concatenate([f_ts, t])).astype(np.int64),
        "bg": np.concatenate([np.full(n_fixed, -1), bg_offset + np.arange(len(b_acc))]),
    }
    return ev


def _finish_events(
    rng: np.random.Generator,
    ev: dict,
    plan_of: np.ndarray,
    seq0: int,
    seed: int,
    bad: dict,
    last_month: int,
) -> tuple[pa.Table, dict]:
    """Codes for formatting, ids, and the deliberate bad rows; returns the staged arrow table."""
    n = len(ev["acc"])
    seq = seq0 + np.arange(n, dtype=np.int64)
    month = _months(ev["ts"])
    bad_code = np.zeros(n, np.int8)
    bg = ev["bg"]
    for idx in np.flatnonzero(np.isin(bg, bad["timestamp"])):
        bad_code[idx] = 1 + int(np.searchsorted(bad["timestamp"], bg[idx])) % len(BAD_TIMESTAMPS)
    cols = {
        "seq": seq,
        "eid": _event_ids(seq, seed),
        "acc": ev["acc"].astype(np.int32),
        "usr": ev["usr"].astype(np.int32),
        "name": ev["name"].astype(np.int8),
        "ts": ev["ts"],
        "fmonth": month.astype(np.int32),
        "tz": rng.choice(len(EVENT_TZ_SHARE), n, p=EVENT_TZ_SHARE).astype(np.int8),
        "bad": bad_code,
        "src": rng.choice(len(SOURCES), n, p=SOURCE_SHARE).astype(np.int8),
        "x": rng.integers(0, 12, n).astype(np.int8),
        "plan": plan_of[np.clip(ev["acc"] - 1, 0, len(plan_of) - 1)].astype(np.int8),
    }
    # Deliveries of the same event twice: into the neighbouring month's file, or the same file.
    cross = np.isin(bg, bad["cross_file"])
    within = np.isin(bg, bad["within_file"])
    dup = np.concatenate([np.flatnonzero(cross), np.flatnonzero(within)])
    extra = {k: v[dup] for k, v in cols.items()}
    n_cross = int(cross.sum())
    extra["fmonth"] = extra["fmonth"].copy()
    extra["fmonth"][:n_cross] = np.where(
        extra["fmonth"][:n_cross] < last_month,
        extra["fmonth"][:n_cross] + 1,
        extra["fmonth"][:n_cross] - 1,
    )
    table = pa.table({k: np.concatenate([cols[k], extra[k]]) for k in cols})
    stats = {
        "cross_file_duplicates": n_cross,
        "within_file_duplicates": int(within.sum()),
        "bad_timestamps": int((bad_code > 0).sum()),
    }
    return table, stats


STAGE_SQL = """create table ev (seq bigint, eid bigint, acc integer, usr integer, name tinyint,
    ts bigint, fmonth integer, tz tinyint, bad tinyint, src tinyint, x tinyint, plan tinyint)"""


def _sql_list(values) -> str:
    return "[" + ", ".join(literal(v) for v in values) + "]"


def _event_select(width: int, json_properties: bool, month: int) -> str:
    """SQL turning one month's staged codes into the canonical event columns, sorted."""
    acc = f"'acc_' || lpad(acc::varchar, {width}, '0')"
    extra_cases = " ".join(
        f"when {code} then ', \"{key}\": \"' || {_sql_list(values)}[x % {len(values)} + 1] || '\"'"
        for code, (key, values) in EXTRA_VALUES.items()
    )
    props = (
        f'\'{{"plan": "\' || {_sql_list(PLAN_TIERS)}[plan + 1] || \'", "source": "\' || '
        f"{_sql_list(SOURCES)}[src + 1] || '\"' || "
        f"case name {extra_cases} else '' end || '}}'"
    )
    if json_properties:
        props = f"({props})::json"
    ts = "make_timestamp(ts * 1000000)"
    occurred = f"""case
        when bad > 0 then {_sql_list(BAD_TIMESTAMPS)}[bad]
        when tz = 0 then strftime({ts}, '%Y-%m-%dT%H:%M:%SZ')
        when tz = 1 then strftime(make_timestamp((ts + 7200) * 1000000), '%Y-%m-%dT%H:%M:%S+02:00')
        when tz = 2 then strftime(make_timestamp((ts - 18000) * 1000000), '%Y-%m-%dT%H:%M:%S-05:00')
        else strftime({ts}, '%Y-%m-%dT%H:%M:%S') end"""
    return f"""
        select 'ev_' || printf('%012x', eid) as event_id,
               {acc} as account_id,
               'u_' || {acc} || '_' || usr::varchar as user_id,
               {_sql_list(EVENT_NAMES)}[name + 1] as event_name,
               {occurred} as occurred_at,
               {props} as properties
        from ev where fmonth = {month} order by ts, seq"""


def _write_events(con, events_dir: Path, width: int, formats: tuple[str, ...] = FORMATS) -> dict:
    """One file per month, format by month index mod the number of formats; returns rows and
    files per format."""
    events_dir.mkdir(parents=True, exist_ok=True)
    for old in sorted(events_dir.glob("events_*")):  # a previous sample's months
        if old.is_file() and any(old.name.endswith("." + f) for f in FORMATS):
            old.unlink()
    months = [r[0] for r in con.execute("select distinct fmonth from ev order by 1").fetchall()]
    files = {f: 0 for f in FORMATS}
    for month in months:
        year, mon = 1970 + month // 12, month % 12 + 1
        fmt = formats[(year * 12 + mon - 1) % len(formats)]
        path = events_dir / f"events_{year:04d}_{mon:02d}.{fmt}"
        files[fmt] += 1
        if fmt == "parquet":
            table = con.sql(_event_select(width, False, month)).to_arrow_table()
            pq.write_table(
                table, path, compression="zstd", row_group_size=1 << 20, write_statistics=True
            )
            continue
        options = {
            "csv": "format csv, header true",
            "jsonl": "format json",
            "jsonl.gz": "format json, compression gzip",
        }[fmt]
        query = _event_select(width, fmt != "csv", int(month))
        con.execute(f"copy ({query}) to {literal(path)} ({options})")
    return {"event_files": len(months), "event_files_by_format": files}


def _generate_events(
    rng: np.random.Generator,
    a: dict,
    churn: np.ndarray,
    out_dir: Path,
    end_ts: float,
    accounts: int,
    events_per_account: int,
    seed: int,
    width: int,
    formats: tuple[str, ...] = FORMATS,
) -> dict:
    act = _plan_activity(rng, a, churn, end_ts, accounts, events_per_account)
    n = a["n"]
    bg_total = int(act["n_bg"].sum())
    bg_offsets = np.concatenate([[0], np.cumsum(act["n_bg"])])
    k_cross = max(3, round(bg_total * 1e-4))
    k_within = max(2, round(bg_total * 5e-5))
    k_bad = max(3, round(bg_total * 1e-4))
    picks = rng.choice(bg_total, size=min(bg_total, k_cross + k_within + k_bad), replace=False)
    bad = {
        "cross_file": np.sort(picks[:k_cross]),
        "within_file": np.sort(picks[k_cross : k_cross + k_within]),
        "timestamp": np.sort(picks[k_cross + k_within :]),
    }
    last_month = int(_months(np.array([int(end_ts) - 1]))[0])

    stats = {"cross_file_duplicates": 0, "within_file_duplicates": 0, "bad_timestamps": 0}
    events = 0
    with tempfile.TemporaryDirectory(prefix="ttv_sample_") as tmp:
        con = duckdb.connect(str(Path(tmp) / "stage.duckdb"))
        con.execute(f"set temp_directory = '{tmp}'")
        con.execute(STAGE_SQL)
        seq = 0
        for c, lo in enumerate(range(0, n, ACCOUNTS_PER_CHUNK)):
            hi = min(n, lo + ACCOUNTS_PER_CHUNK)
            chunk_rng = np.random.Generator(np.random.PCG64(np.random.SeedSequence([seed, 1, c])))
            ev = _chunk_events(chunk_rng, a, act, lo, hi, int(bg_offsets[lo]))
            ev["acc"] = ev["acc"] + 1  # account numbers are 1-based
            table, s = _finish_events(chunk_rng, ev, a["plan"], seq, seed, bad, last_month)
            seq += len(ev["acc"])
            for k in stats:
                stats[k] += s[k]
            con.register("chunk", table)
            con.execute("insert into ev select * from chunk")
            con.unregister("chunk")
            events += table.num_rows
        # Events of accounts the CRM does not know (not yet synced, or deleted).
        k_unknown = max(3, round(bg_total * 1e-4))
        ts = np.floor(end_ts - rng.uniform(1, 180, k_unknown) * DAY).astype(np.int64)
        unknown = {
            "acc": n + 1 + np.arange(k_unknown) % 3,
            "usr": rng.integers(0, 3, k_unknown),
            "name": BACKGROUND_NAMES[rng.integers(0, 4, k_unknown)],
            "ts": ts,
            "bg": np.full(k_unknown, -1),
        }
        table, _ = _finish_events(
            rng, unknown, a["plan"], seq, seed, {k: np.zeros(0, np.int64) for k in bad}, last_month
        )
        con.register("chunk", table)
        con.execute("insert into ev select * from chunk")
        con.unregister("chunk")
        events += table.num_rows
        written = _write_events(con, out_dir / "product" / "events", width, formats)
        con.close()
    return {
        "events": events,
        **written,
        "duplicate_event_rows": stats["cross_file_duplicates"] + stats["within_file_duplicates"],
        **stats,
        "unknown_account_events": k_unknown,
    }


# --- entry points ------------------------------------------------------------------------------


def generate_landing(
    out_dir: Path,
    accounts: int = 300,
    seed: int = 7,
    end_date: date = date(2026, 11, 1),
    events_per_account: int = 120,
    formats: tuple[str, ...] = FORMATS,
) -> dict:
    """Write the canonical landing layout (SPEC §3) under `out_dir`; return the counts written.

    Deterministic: the same arguments give byte-identical files. Facts are dated before
    00:00 UTC of `end_date`. Existing `product/events/events_*` files of the four formats are
    replaced; other files under `out_dir` are left alone.
    """
    if accounts < 1:
        raise ValueError("accounts must be at least 1")
    if not formats or any(f not in FORMATS for f in formats):
        raise ValueError(f"formats must be some of {', '.join(FORMATS)}")
    out_dir = Path(out_dir)
    rng = np.random.Generator(np.random.PCG64(np.random.SeedSequence([seed, 0])))
    end_ts = _ts(end_date)
    width = max(5, len(str(accounts + 10)))
    a = _simulate_accounts(rng, accounts, end_ts)
    contracts, churn = _contracts_and_churn(a, end_ts)
    counts = _write_crm(rng, a, contracts, churn, out_dir, end_ts, width)
    counts.update(
        _generate_events(
            rng,
            a,
            churn,
            out_dir,
            end_ts,
            accounts,
            events_per_account,
            seed,
            width,
            tuple(formats),
        )
    )
    return counts


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m sample_data.generate", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument("--out", type=Path, default=Path("data/landing"))
    parser.add_argument("--accounts", type=int, default=300)
    parser.add_argument("--events-per-account", type=int, default=120)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--end-date", type=date.fromisoformat, default=date(2026, 11, 1))
    parser.add_argument(
        "--formats",
        default=",".join(FORMATS),
        help="event file formats, rotated by month (default: all four)",
    )
    args = parser.parse_args(argv)
    began = time.perf_counter()
    counts = generate_landing(
        args.out,
        accounts=args.accounts,
        seed=args.seed,
        end_date=args.end_date,
        events_per_account=args.events_per_account,
        formats=tuple(args.formats.split(",")),
    )
    print(json.dumps(counts, indent=2))
    print(f"wrote {args.out} in {time.perf_counter() - began:.1f}s", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
