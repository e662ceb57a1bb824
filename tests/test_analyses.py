"""SPEC §9 end to end: the analyses marts on a hand-made landing zone, numbers worked out by hand.

tests/fixtures/landing_analyses is built with the real daily job as of 2026-06-01. It is a zone
of its own (not landing_small) so that its accounts can be chosen for §9 without moving the
hand-checked numbers of tests/test_end_to_end.py. The accounts (days from the start of the clock;
sales-led accounts start at their new_business signature, PLG at their first `signed_up` event):

  Enterprise (target 90, best-in-class 45, market 45-90, stall after 21 days; arm = variant)
    E01 signed 2025-01-01, value 2025-01-21 (20 days), arm A. Expansion signed 2025-03-02
        (60 days), renewal from 2026-01-01 at 130000. dashboard_shared on 2025-09-11.
    E02 signed 2025-02-01, value 2025-03-13 (40 days), arm A, churned 2026-02-01 (budget cuts).
    E03 signed 2025-03-01, value 2025-06-08 (99 days), arm B, churned 2026-03-01 (no value
        realized).
    E04 signed 2026-03-01, kickoff 2026-03-05, nothing since: 92 days onboarding, arm B.
    E05 signed 2025-04-01, value 2025-05-01 (30 days), no arm; term ended 2026-04-01.
  SMB (target 30, best-in-class 7, market 7-30, stall after 7)
    S01 signed 2026-01-01, value 2026-01-11 (10 days), arm A; expansion signed 2026-01-31
        (30 days); search_performed 2026-02-15.
    S02 signed 2026-04-01, kickoff 04-03, access 04-10, nothing since: 61 days onboarding.
  PLG (start signed_up, value first_value, target 7, stall after 3)
    P01 signed up 2026-01-01, first value 01-03 (2 days), paid 2026-01-11 (10 days),
        dashboard_shared 01-21.
    P02 signed up 2026-02-01, nothing else, churned 2026-04-01 (no reason), never paid.
    P03 signed up 2026-05-01, project 05-02, paid 2026-04-30 (before sign-up: 0 days),
        dashboard_shared 2026-04-20 (before its exposure: 0 days).
"""

import datetime as dt
import math
from pathlib import Path

import pytest

from tests.conftest import FIXTURES, shared_build
from tests.test_end_to_end import check, rows

LANDING = FIXTURES / "landing_analyses"
AS_OF = "2026-06-01"


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory) -> Path:
    return shared_build(tmp_path_factory, "analyses", LANDING, AS_OF)[0]


def one(warehouse: Path, sql: str, params=None) -> dict:
    found = rows(warehouse, sql, params)
    assert len(found) == 1, found
    return found[0]


# --------------------------------------------------------------------------------------------
# §9.1 account_revenue
# --------------------------------------------------------------------------------------------

REVENUE = {
    # E01: 12 months from 2025-01-01 is 2026-01-01: the new_business term [2025-01-01,
    # 2026-01-01) and the expansion have ended, the renewal [2026-01-01, 2027-01-01) is in force,
    # both on 2026-01-01 and on 2026-06-01: 130000, nrr 130000 / 100000.
    # Revenue: new business 365 days, expansion [2025-03-02, 2026-01-01) = 365 - 60 = 305 days,
    # renewal [2026-01-01, 2026-06-01) = 31+28+31+30+31 = 151 days.
    "E01": dict(
        segment="Enterprise",
        ttv_band="<30",
        first_term_start=dt.date(2025, 1, 1),
        first_term_arr=100000.0,
        arr_now=130000.0,
        arr_at_12_months=130000.0,
        nrr_12m=1.3,
        expansions=1,
        expansion_arr=20000.0,
        first_expansion_at=dt.datetime(2025, 3, 2),
        days_to_first_expansion=60.0,
        expanded_within_12_months=True,
        revenue_to_date=100000 * 365 / 365 + 20000 * 305 / 365 + 130000 * 151 / 365,
        data_issue=None,
    ),
    # E02: churned 2026-02-01, its only term [2025-02-01, 2026-02-01): nothing in force on the
    # 12-month day 2026-02-01 (end exclusive) nor now; revenue one full year.
    "E02": dict(
        ttv_band="30-60",
        arr_now=0.0,
        arr_at_12_months=0.0,
        nrr_12m=0.0,
        expansions=0,
        expansion_arr=0.0,
        first_expansion_at=None,
        days_to_first_expansion=None,
        expanded_within_12_months=False,
        revenue_to_date=50000.0,
        days_to_expansion_censored=365.0,
    ),
    "E03": dict(
        ttv_band=">90",
        arr_now=0.0,
        arr_at_12_months=0.0,
        nrr_12m=0.0,
        expanded_within_12_months=False,
        revenue_to_date=80000.0,
        days_to_expansion_censored=365.0,
    ),
    # E04: 12 months from 2026-03-01 is after the as-of date: unknown; 92 days of revenue
    # (31 + 30 + 31 from 03-01 to 06-01).
    "E04": dict(
        ttv_band="not_reached",
        arr_now=60000.0,
        arr_at_12_months=None,
        nrr_12m=None,
        expanded_within_12_months=None,
        revenue_to_date=60000 * 92 / 365,
        days_to_expansion_censored=92.0,
    ),
    # E05: term [2025-04-01, 2026-04-01) ended, no renewal, no churn: 0 now and at 12 months.
    "E05": dict(
        ttv_band="30-60",
        arr_now=0.0,
        arr_at_12_months=0.0,
        nrr_12m=0.0,
        expanded_within_12_months=False,
        revenue_to_date=40000.0,
        days_to_expansion_censored=426.0,
    ),  # 2025-04-01 -> 2026-06-01: 365 + 61
    # S01: an expansion signed 01-31 (30 days from the start) makes expanded_within_12_months
    # true before the 12-month day is known. Revenue: new business [01-01, 06-01) 151 days,
    # expansion [02-01, 06-01) 120 days.
    "S01": dict(
        ttv_band="<30",
        arr_now=15000.0,
        arr_at_12_months=None,
        expansions=1,
        expansion_arr=5000.0,
        days_to_first_expansion=30.0,
        expanded_within_12_months=True,
        revenue_to_date=10000 * 151 / 365 + 5000 * 120 / 365,
    ),
    "S02": dict(
        ttv_band="not_reached",
        arr_now=8000.0,
        revenue_to_date=8000 * 61 / 365,
        days_to_expansion_censored=61.0,
    ),
    # P01 paid 2026-01-11: [01-11, 06-01) is 21 + 28 + 31 + 30 + 31 = 141 days; its clock
    # started at sign-up 01-01, 151 days before as-of.
    "P01": dict(
        segment="PLG",
        ttv_band="<30",
        first_term_start=dt.date(2026, 1, 11),
        start_at=dt.datetime(2026, 1, 1),
        arr_now=1200.0,
        revenue_to_date=1200 * 141 / 365,
        days_to_expansion_censored=151.0,
    ),
    # P03 paid 04-30, before signing up 05-01: [04-30, 06-01) is 32 days.
    "P03": dict(
        ttv_band="not_reached",
        arr_now=600.0,
        revenue_to_date=600 * 32 / 365,
        days_to_expansion_censored=31.0,
    ),
}


def test_account_revenue_has_the_accounts_with_a_first_term(warehouse):
    got = [
        r["account_id"]
        for r in rows(warehouse, "select account_id from marts.account_revenue order by account_id")
    ]
    # P02 never paid: no first term, no row
    assert got == ["E01", "E02", "E03", "E04", "E05", "P01", "P03", "S01", "S02"]


@pytest.mark.parametrize("account_id", sorted(REVENUE))
def test_account_revenue(warehouse, account_id):
    got = one(warehouse, "select * from marts.account_revenue where account_id = ?", [account_id])
    check(got, REVENUE[account_id], account_id)
    assert got["as_of_date"] == dt.date(2026, 6, 1)


# --------------------------------------------------------------------------------------------
# §9.2 ttv_retention revenue columns, churn_reasons
# --------------------------------------------------------------------------------------------

RETENTION = {
    ("Enterprise", "<30"): dict(
        accounts=1,
        renewed=1,
        accounts_12m=1,
        nrr_12m=1.3,
        expansion_rate_12m=1.0,
        median_days_to_first_expansion=60.0,
        km_median_days_to_first_expansion=60.0,
    ),
    # E02 (40 days, churned) and E05 (30 days, term ended unrenewed): both known at 12 months,
    # 0 + 0 over 50000 + 40000; no expansion: the KM estimate stays at 1
    ("Enterprise", "30-60"): dict(
        accounts=2,
        churned=1,
        unknown=1,
        accounts_12m=2,
        nrr_12m=0.0,
        expansion_rate_12m=0.0,
        median_days_to_first_expansion=None,
        km_median_days_to_first_expansion=None,
        avg_revenue_to_date=(50000 + 40000) / 2,
    ),
    ("Enterprise", "not_reached"): dict(
        accounts=1, pending=1, accounts_12m=0, nrr_12m=None, expansion_rate_12m=None
    ),
    # E01 (expanded at 60, known at 12 months) and S01 (expanded at 30, not yet at 12 months):
    # accounts_12m 1 (E01), nrr 130000 / 100000; median of 30 and 60 = 45; Kaplan-Meier: at 30
    # two at risk, one expands: S = 1/2, at or below 0.5, so 30 (not the plain median)
    ("sales_led", "<30"): dict(
        accounts=2,
        accounts_12m=1,
        nrr_12m=1.3,
        expansion_rate_12m=1.0,
        median_days_to_first_expansion=45.0,
        km_median_days_to_first_expansion=30.0,
        avg_revenue_to_date=(REVENUE["E01"]["revenue_to_date"] + REVENUE["S01"]["revenue_to_date"])
        / 2,
    ),
    ("PLG", "<30"): dict(accounts=1, accounts_12m=0, km_median_days_to_first_expansion=None),
}


@pytest.mark.parametrize("key", sorted(RETENTION))
def test_ttv_retention_revenue(warehouse, key):
    got = one(
        warehouse, "select * from marts.ttv_retention where segment = ? and ttv_band = ?", list(key)
    )
    check(got, RETENTION[key], str(key))


def test_churn_reasons(warehouse):
    got = rows(
        warehouse,
        "select segment, ttv_band, churn_reason, churned_accounts,"
        " share_of_band_churn from marts.churn_reasons",
    )
    # E02 (30-60, budget cuts), E03 (>90, no value realized); P02 churned with no reason
    assert sorted(tuple(r.values()) for r in got) == [
        ("Enterprise", "30-60", "budget cuts", 1, 1.0),
        ("Enterprise", ">90", "no value realized", 1, 1.0),
        ("PLG", "not_reached", "unknown", 1, 1.0),
        ("sales_led", "30-60", "budget cuts", 1, 1.0),
        ("sales_led", ">90", "no value realized", 1, 1.0),
    ]


# --------------------------------------------------------------------------------------------
# §9.3 stalled_accounts
# --------------------------------------------------------------------------------------------

STALLED = {
    # kickoff 03-05 is the last progress: 26 + 30 + 31 + 1 = 88 days to 06-01, over 21; next in
    # catalogue order is access_provisioned (4th); 92 days onboarding, 2 over the target 90
    "E04": dict(
        value_status="overdue",
        last_milestone="kickoff",
        last_progress_at=dt.datetime(2026, 3, 5),
        days_since_progress=88.0,
        next_milestone="access_provisioned",
        next_owner="it",
        days_onboarding=92.0,
        target_days=90.0,
        days_over_target=2.0,
        stall_after_days=21.0,
        is_stalled=True,
        first_term_arr=60000.0,
    ),
    # access 04-10: 20 + 31 + 1 = 52 days; first_login (5th in the catalogue) comes before
    # configuration_complete (6th); 61 days onboarding, 31 over the target 30
    "S02": dict(
        value_status="overdue",
        last_milestone="access_provisioned",
        days_since_progress=52.0,
        next_milestone="first_login",
        next_owner="customer",
        days_onboarding=61.0,
        days_over_target=31.0,
        is_stalled=True,
        first_term_arr=8000.0,
    ),
    # project_created 05-02 (first_meaningful_action): 30 days, over 3; first_login (5th) before
    # first_value (10th) and regular_usage (11th); 31 days onboarding, 24 over the target 7
    "P03": dict(
        value_status="overdue",
        last_milestone="first_meaningful_action",
        days_since_progress=30.0,
        next_milestone="first_login",
        next_owner="customer",
        days_onboarding=31.0,
        target_days=7.0,
        days_over_target=24.0,
        stall_after_days=3.0,
        is_stalled=True,
        first_term_arr=600.0,
    ),
}


def test_stalled_accounts_are_the_accounts_still_onboarding(warehouse):
    got = [
        r["account_id"]
        for r in rows(warehouse, "select account_id from marts.stalled_accounts order by 1")
    ]
    assert got == ["E04", "P03", "S02"]  # P02 churned before value: not onboarding


@pytest.mark.parametrize("account_id", sorted(STALLED))
def test_stalled_accounts(warehouse, account_id):
    got = one(warehouse, "select * from marts.stalled_accounts where account_id = ?", [account_id])
    check(got, STALLED[account_id], account_id)


# --------------------------------------------------------------------------------------------
# §9.4 ttv_quartile and quartile_profile
# --------------------------------------------------------------------------------------------


def test_ttv_quartile(warehouse):
    got = {
        r["account_id"]: r["ttv_quartile"]
        for r in rows(warehouse, "select account_id, ttv_quartile from marts.account_ttv")
    }
    # Enterprise by ttv_days: E01 20, E05 30, E02 40, E03 99 -> ntile(4) 1, 2, 3, 4; one
    # account with a duration in SMB (S01) and PLG (P01): quartile 1; not reached: NULL
    assert got == {
        "E01": 1,
        "E05": 2,
        "E02": 3,
        "E03": 4,
        "E04": None,
        "S01": 1,
        "S02": None,
        "P01": 1,
        "P02": None,
        "P03": None,
    }


def test_quartile_profile_enterprise(warehouse):
    got = {
        (r["dimension"], r["dimension_value"]): (
            r["accounts_top"],
            r["accounts_bottom"],
            r["share_of_top"],
            r["share_of_bottom"],
            r["lift"],
        )
        for r in rows(
            warehouse, "select * from marts.quartile_profile where segment = 'Enterprise'"
        )
    }
    # top = E01 (alice, Software, direct, pre-onboarded, custom, high, A, salesforce + slack);
    # bottom = E03 (bob, Retail, partner, not pre-onboarded, template, high, B, no integration);
    # one account per quartile, so each share is 0 or 1 and lift = top - bottom
    top, bottom, both = (1, 0, 1.0, 0.0, 1.0), (0, 1, 0.0, 1.0, -1.0), (1, 1, 1.0, 1.0, 0.0)
    assert got == {
        ("csm_owner", "alice"): top,
        ("csm_owner", "bob"): bottom,
        ("industry", "Software"): top,
        ("industry", "Retail"): bottom,
        ("plan_tier", "enterprise"): both,
        ("sales_channel", "direct"): top,
        ("sales_channel", "partner"): bottom,
        ("pre_onboarding", "true"): top,
        ("pre_onboarding", "false"): bottom,
        ("configuration_approach", "custom"): top,
        ("configuration_approach", "template"): bottom,
        ("touch_model", "high"): both,
        ("onboarding_variant", "A"): top,
        ("onboarding_variant", "B"): bottom,
        ("integration", "salesforce"): top,
        ("integration", "slack"): top,
        ("integration", "none"): bottom,
    }


def test_quartile_profile_has_no_groups_and_no_bottom_without_quartile_4(warehouse):
    segments = {r["segment"] for r in rows(warehouse, "select segment from marts.quartile_profile")}
    assert segments == {"Enterprise", "SMB", "PLG"}
    # SMB has one ranked account (S01): quartile 1 only, so the bottom share is unknown
    got = one(
        warehouse,
        "select * from marts.quartile_profile where segment = 'SMB' and dimension = 'csm_owner'",
    )
    check(
        got,
        dict(
            dimension_value="dave",
            accounts_top=1,
            accounts_bottom=0,
            share_of_top=1.0,
            share_of_bottom=None,
            lift=None,
        ),
        "SMB csm_owner",
    )


# --------------------------------------------------------------------------------------------
# §9.5 experiment_results and the log-rank test
# --------------------------------------------------------------------------------------------

# Enterprise, arm B against control A. Durations: A: E01 20 (event), E02 40 (event);
# B: E03 99 (event), E04 92 (censored). Event times 20, 40, 99:
#   t=20: n=4 (20, 40, 92, 99), n1=2 (B), d=1, d1=0: E += 1*2/4 = 1/2,
#         V += 1 * (1/2) * (1/2) * (4-1)/(4-1) = 1/4
#   t=40: n=3 (40, 92, 99), n1=2, d=1, d1=0: E += 2/3, V += (2/3) * (1/3) * 2/2 = 2/9
#   t=99: n=1 (92 < 99 is no longer at risk), n1=1, d=1, d1=1: E += 1; n = 1: no variance
#   O = 1, E = 1/2 + 2/3 + 1 = 13/6, V = 1/4 + 2/9 = 17/36
#   chi2 = (1 - 13/6)^2 / (17/36) = (49/36) / (17/36) = 49/17
ENTERPRISE_CHI2 = 49 / 17
# sales_led adds S01 (A, 10, event): event times 10, 20, 40, 99:
#   t=10: n=5, n1=2: E += 2/5, V += (2/5)(3/5)(4/4) = 6/25
#   t=20: n=4, n1=2: E += 1/2, V += 1/4;  t=40: n=3, n1=2: E += 2/3, V += 2/9
#   t=99: n=1: E += 1
#   O = 1, E = 2/5 + 1/2 + 2/3 + 1 = 77/30, V = 6/25 + 1/4 + 2/9 = 641/900
#   chi2 = (1 - 77/30)^2 / (641/900) = (2209/900) / (641/900) = 2209/641
SALES_LED_CHI2 = 2209 / 641


def p_value(chi2: float) -> float:
    """SPEC §9.5: p = erfc(sqrt(chi2 / 2)), the chi-square tail with one degree of freedom."""
    return math.erfc(math.sqrt(chi2 / 2))


EXPERIMENT = {
    # A: 20 and 40, both events: median 30; KM at 20: 1/2 -> 20; both within 90 days
    ("Enterprise", "A"): dict(
        is_control=True,
        accounts=2,
        reached_value=2,
        median_ttv_days=30.0,
        km_median_ttv_days=20.0,
        share_within_target=1.0,
        km_median_diff_days=None,
        logrank_chi2=None,
        logrank_p_value=None,
        is_significant=None,
    ),
    # B: E03 99 (event), E04 censored at 92: at 99 one at risk, one event: S = 0 -> 99;
    # 99 - 20 = 79; windows of both closed (92 >= 90), none within: 0
    ("Enterprise", "B"): dict(
        is_control=False,
        accounts=2,
        reached_value=1,
        median_ttv_days=99.0,
        km_median_ttv_days=99.0,
        share_within_target=0.0,
        km_median_diff_days=79.0,
        logrank_chi2=ENTERPRISE_CHI2,
        logrank_p_value=p_value(ENTERPRISE_CHI2),
        is_significant=False,
    ),
    ("SMB", "A"): dict(is_control=True, accounts=1, reached_value=1, km_median_ttv_days=10.0),
    # A: 10, 20, 40 (events): median 20; KM 2/3 at 10, 1/3 at 20 -> 20
    ("sales_led", "A"): dict(
        accounts=3,
        reached_value=3,
        median_ttv_days=20.0,
        km_median_ttv_days=20.0,
        share_within_target=1.0,
    ),
    ("sales_led", "B"): dict(
        accounts=2,
        km_median_ttv_days=99.0,
        km_median_diff_days=79.0,
        logrank_chi2=SALES_LED_CHI2,
        logrank_p_value=p_value(SALES_LED_CHI2),
        is_significant=False,
    ),
}


def test_experiment_results_rows(warehouse):
    got = [
        (r["segment"], r["arm"])
        for r in rows(
            warehouse,
            "select segment, arm from marts.experiment_results"
            " where experiment = 'onboarding_ab' order by 1, 2",
        )
    ]
    # E05, S02 and the PLG accounts have no arm: no empty arm row, no PLG row
    assert got == sorted(EXPERIMENT)


@pytest.mark.parametrize("key", sorted(EXPERIMENT))
def test_experiment_results(warehouse, key):
    got = one(
        warehouse,
        "select * from marts.experiment_results where experiment ="
        " 'onboarding_ab' and segment = ? and arm = ?",
        list(key),
    )
    expected = EXPERIMENT[key]
    # the p-value's erfc is a polynomial fit with a relative error below 1.2e-7 (engine.sql)
    p = expected.pop("logrank_p_value", "absent")
    check(got, expected, str(key))
    if p is None:
        assert got["logrank_p_value"] is None
    elif p != "absent":
        assert got["logrank_p_value"] == pytest.approx(p, rel=2e-7)


def test_logrank_p_values_by_hand():
    # the tail of chi2 = 49/17 = 2.882: between the 0.10 (2.706) and 0.05 (3.841) critical
    # values of a chi-square with one degree of freedom, so 0.05 < p < 0.10; 2209/641 = 3.446 too
    assert 0.05 < p_value(ENTERPRISE_CHI2) < 0.10
    assert 0.05 < p_value(SALES_LED_CHI2) < 0.10
    assert p_value(3.841458820694124) == pytest.approx(0.05, rel=1e-9)


# --------------------------------------------------------------------------------------------
# §9.6 free_to_paid
# --------------------------------------------------------------------------------------------

FREE_TO_PAID = {
    # P01 paid after 10 days, P03 before sign-up (0 days), P02 never (churned 04-01, 59 days
    # after signing up 02-01). 30-day windows all ended by 06-01 (P03's on 05-31): P01 and P03
    # within -> 2/3. 90-day windows: P03's (ends 07-30) has not ended -> P01 yes, P02 no: 1/2.
    # Median of 0 and 10 = 5. Kaplan-Meier: at 0, 3 at risk, 1 pays: 2/3; at 10, 2 at risk,
    # 1 pays: 1/3 -> 10.
    ("all_time", "all time"): dict(
        accounts=3,
        converted=2,
        conversion_rate=2 / 3,
        share_converted_within_30_days=2 / 3,
        share_converted_within_90_days=0.5,
        median_days_to_paid=5.0,
        km_median_days_to_paid=10.0,
    ),
    ("month", "2026-01"): dict(
        accounts=1, converted=1, km_median_days_to_paid=10.0, cohort_period=dt.date(2026, 1, 1)
    ),
    ("month", "2026-02"): dict(
        accounts=1,
        converted=0,
        conversion_rate=0.0,
        median_days_to_paid=None,
        km_median_days_to_paid=None,
    ),
    # P03 alone: its 90-day window is open, so no share
    ("month", "2026-05"): dict(
        accounts=1,
        converted=1,
        share_converted_within_30_days=1.0,
        share_converted_within_90_days=None,
        km_median_days_to_paid=0.0,
    ),
    ("quarter", "2026-Q1"): dict(
        accounts=2, converted=1, conversion_rate=0.5, share_converted_within_90_days=0.5
    ),
    ("quarter", "2026-Q2"): dict(accounts=1, converted=1),
}


def test_free_to_paid_rows(warehouse):
    got = [
        (r["segment"], r["period_grain"], r["cohort_label"])
        for r in rows(
            warehouse, "select segment, period_grain, cohort_label from marts.free_to_paid"
        )
    ]
    # only PLG's clock does not start at contract_signed; sales_led pools sales-led segments
    assert sorted(got) == sorted(("PLG", *key) for key in FREE_TO_PAID)


@pytest.mark.parametrize("key", sorted(FREE_TO_PAID))
def test_free_to_paid(warehouse, key):
    got = one(
        warehouse,
        "select * from marts.free_to_paid where segment = 'PLG'"
        " and period_grain = ? and cohort_label = ?",
        list(key),
    )
    check(got, FREE_TO_PAID[key], str(key))


# --------------------------------------------------------------------------------------------
# §9.7 feature_adoption
# --------------------------------------------------------------------------------------------

FEATURES = {
    # exposure = later of 2025-09-01 and the start. E01, E02, E03 exposed 2025-09-01 (E02 and
    # E03 churned after it), E05 too, E04 on 2026-03-01. E01 shared 10 days after.
    # Kaplan-Meier: at 10, 5 at risk, 1 event: 4/5, never at or below 1/2.
    ("shared_dashboards", "Enterprise"): dict(
        exposed_accounts=5,
        adopted=1,
        adoption_rate=0.2,
        share_adopted_within_30_days=0.2,
        median_days_to_adopt=10.0,
        km_median_days_to_adopt=None,
    ),
    # P01 exposed 01-01, shared 01-21: 20 days; P03 exposed 05-01 (31 days before as-of),
    # shared 04-20, before: 0 days; P02 exposed 02-01, censored at its churn 04-01 (59 days).
    # Within 30: P01 and P03 of the three: 2/3. Median of 0 and 20 = 10. KM: at 0, 3 at risk:
    # 2/3; at 20, 2 at risk (20, 59): 1/3 -> 20.
    ("shared_dashboards", "PLG"): dict(
        exposed_accounts=3,
        adopted=2,
        adoption_rate=2 / 3,
        share_adopted_within_30_days=2 / 3,
        median_days_to_adopt=10.0,
        km_median_days_to_adopt=20.0,
    ),
    ("shared_dashboards", "SMB"): dict(
        exposed_accounts=2, adopted=0, adoption_rate=0.0, share_adopted_within_30_days=0.0
    ),
    ("shared_dashboards", "sales_led"): dict(exposed_accounts=7, adopted=1),
    # S01 exposed 01-01 (its start), searched 02-15: 45 days, not within 30. S02 exposed 04-01,
    # censored at as-of: 61 days. KM: at 45, 2 at risk, 1 event: 1/2 -> 45.
    ("search", "SMB"): dict(
        exposed_accounts=2,
        adopted=1,
        adoption_rate=0.5,
        share_adopted_within_30_days=0.0,
        median_days_to_adopt=45.0,
        km_median_days_to_adopt=45.0,
    ),
    ("search", "PLG"): dict(exposed_accounts=3, adopted=0, median_days_to_adopt=None),
}


@pytest.mark.parametrize("key", sorted(FEATURES))
def test_feature_adoption(warehouse, key):
    got = one(
        warehouse,
        "select * from marts.feature_adoption where feature = ? and segment = ?",
        list(key),
    )
    check(got, FEATURES[key], str(key))


# --------------------------------------------------------------------------------------------
# §9.8 ttv_benchmarks
# --------------------------------------------------------------------------------------------

BENCHMARKS = {
    # Enterprise all time: value at 20, 30, 40, 99 days; E04 censored at 92. Median of the four
    # = 35; p25 = 20 + 0.75 * 10 = 27.5; p75 = 40 + 0.25 * 59 = 54.75. Kaplan-Meier: 4/5 at 20,
    # 3/5 at 30, 2/5 at 40 -> 40: below the market's 45-90, 5 days from best-in-class 45.
    # Within 90 days: 3 of the 5 (every window has closed).
    ("Enterprise", "all_time"): dict(
        accounts=5,
        reached_value=4,
        median_ttv_days=35.0,
        p25_ttv_days=27.5,
        p75_ttv_days=54.75,
        km_median_ttv_days=40.0,
        target_days=90.0,
        best_in_class_days=45.0,
        benchmark_low_days=45.0,
        benchmark_high_days=90.0,
        gap_to_best_in_class_days=-5.0,
        position="faster_than_benchmark",
        share_within_target=0.6,
    ),
    # Only E04 started in [2025-06-01, 2026-06-01): no value yet, no median, no position
    ("Enterprise", "trailing_12_months"): dict(
        accounts=1,
        reached_value=0,
        km_median_ttv_days=None,
        position=None,
        gap_to_best_in_class_days=None,
        share_within_target=0.0,
    ),
    # SMB: S01 at 10, S02 censored at 61: KM 1/2 at 10 -> 10, within 7-30; 10 - 7 = 3
    ("SMB", "all_time"): dict(
        accounts=2,
        reached_value=1,
        km_median_ttv_days=10.0,
        gap_to_best_in_class_days=3.0,
        position="within_benchmark",
        share_within_target=0.5,
    ),
    # PLG: P01 at 2; P02 censored at 59, P03 at 31: KM 2/3 at 2, never 1/2 -> no position
    ("PLG", "all_time"): dict(
        accounts=3,
        reached_value=1,
        median_ttv_days=2.0,
        km_median_ttv_days=None,
        position=None,
        share_within_target=1 / 3,
    ),
}


def test_ttv_benchmarks_rows(warehouse):
    got = [
        (r["segment"], r["window"])
        for r in rows(warehouse, 'select segment, "window" from marts.ttv_benchmarks')
    ]
    assert sorted(got) == sorted(
        (s, w) for s in ("Enterprise", "SMB", "PLG") for w in ("all_time", "trailing_12_months")
    )


@pytest.mark.parametrize("key", sorted(BENCHMARKS))
def test_ttv_benchmarks(warehouse, key):
    got = one(
        warehouse,
        'select * from marts.ttv_benchmarks where segment = ? and "window" = ?',
        list(key),
    )
    check(got, BENCHMARKS[key], str(key))
