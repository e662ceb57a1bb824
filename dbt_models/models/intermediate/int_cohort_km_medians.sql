{#- Kaplan-Meier median time to value per cohort group (period basis, grain, cohort, segment,
    dimension value). Accounts that reached value are events at
    ttv_days; accounts still onboarding or churned before value are censored at days_onboarding
    (still at risk at that time). The median is the smallest event time where the survival
    estimate is at or below 0.5, NULL where it never gets there. Accounts whose value date is not
    trusted (data_issue, ttv_days NULL) are left out. -#}
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

times as (
    select
        period_basis,
        period_grain,
        cohort_label,
        segment,
        dimension,
        dimension_value,
        duration_days,
        count(case when is_event then 1 end) as events,
        count(*) as observations
    from observations
    group by period_basis, period_grain, cohort_label, segment, dimension, dimension_value,
        duration_days
),

at_risk as (
    select
        *,
        sum(observations) over (
            partition by period_basis, period_grain, cohort_label, segment, dimension, dimension_value
            order by duration_days desc
            rows between unbounded preceding and current row
        ) as accounts_at_risk
    from times
),

survival as (
    select
        *,
        -- S(t) = product of (1 - events / at risk); summed as logs, with a step to zero tracked
        -- apart because log(0) is undefined
        sum(case when events > 0 and events < accounts_at_risk
            then ln(1 - cast(events as double) / accounts_at_risk) else 0 end) over (
            partition by period_basis, period_grain, cohort_label, segment, dimension, dimension_value
            order by duration_days rows between unbounded preceding and current row
        ) as log_survival,
        max(case when events > 0 and events = accounts_at_risk then 1 else 0 end) over (
            partition by period_basis, period_grain, cohort_label, segment, dimension, dimension_value
            order by duration_days rows between unbounded preceding and current row
        ) as has_reached_zero
    from at_risk
),

final as (
    select
        period_basis,
        period_grain,
        cohort_label,
        segment,
        dimension,
        dimension_value,
        -- 1e-9 absorbs the rounding of exp(log(0.5)), so a survival of exactly 0.5 counts
        min(case when events > 0 and (has_reached_zero = 1 or exp(log_survival) <= 0.5 + 1e-9)
            then duration_days end) as km_median_ttv_days
    from survival
    group by period_basis, period_grain, cohort_label, segment, dimension, dimension_value
)

select * from final
