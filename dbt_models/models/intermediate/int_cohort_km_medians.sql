{{ config(materialized='table') }}
{#- Kaplan-Meier median time to value per cohort group (period basis, grain, cohort, segment,
    dimension value), by the shared rule of macros/statistics.sql. Accounts that reached value
    are events at ttv_days; accounts still onboarding or churned before value are censored at
    days_onboarding (still at risk at that time). Accounts whose value date is not trusted
    (data_issue, ttv_days NULL) are left out. -#}
with members as (
    select * from {{ ref('int_cohort_members') }}
),

observations as (
    select
        period_basis,
        period_grain,
        cohort_label,
        segment,
        dimension,
        dimension_value,
        coalesce(ttv_days, days_onboarding) as duration_days,
        ttv_days is not null as is_event
    from members
    where ttv_days is not null
        or (value_status <> 'achieved' and days_onboarding is not null)
),

km_medians as (
    {{ kaplan_meier_median('observations',
        ['period_basis', 'period_grain', 'cohort_label', 'segment', 'dimension', 'dimension_value'],
        'duration_days', 'is_event') }}
),

final as (
    select
        period_basis,
        period_grain,
        cohort_label,
        segment,
        dimension,
        dimension_value,
        km_median as km_median_ttv_days
    from km_medians
)

select * from final
