{#- One row per period basis, period grain, cohort period, segment (each segment and each
    segment group) and dimension value: how many accounts reached value, how fast, and how many
    within their target (SPEC §4, §4.1). Duration statistics leave out accounts with a
    data_issue. -#}
with members as (
    select * from {{ ref('int_cohort_members') }}
),

km_medians as (
    select * from {{ ref('int_cohort_km_medians') }}
),

summarized as (
    select
        period_basis,
        period_grain,
        cohort_period,
        cohort_label,
        segment,
        dimension,
        dimension_value,
        count(*) as accounts,
        count(case when value_status = 'achieved' then 1 end) as reached_value,
        count(case when value_status in ('in_progress', 'overdue') then 1 end) as still_onboarding,
        count(case when value_status = 'churned_before_value' then 1 end) as churned_before_value,
        count(ttv_days) as accounts_with_ttv,
        percentile_cont(0.5) within group (order by ttv_days) as median_ttv_days,
        percentile_cont(0.25) within group (order by ttv_days) as p25_ttv_days,
        percentile_cont(0.75) within group (order by ttv_days) as p75_ttv_days,
        avg(ttv_days) as avg_ttv_days,
        {{ ratio('count(case when ttv_days < 30 then 1 end)', 'count(ttv_days)') }}
            as share_under_30,
        {{ ratio('count(case when ttv_days >= 30 and ttv_days < 60 then 1 end)',
                 'count(ttv_days)') }}
            as share_30_60,
        {{ ratio('count(case when ttv_days >= 60 and ttv_days < 90 then 1 end)',
                 'count(ttv_days)') }}
            as share_60_90,
        {{ ratio('count(case when ttv_days >= 90 then 1 end)', 'count(ttv_days)') }}
            as share_over_90,
        percentile_cont(0.5) within group (order by ttfv_days) as median_ttfv_days,
        {{ ratio('count(case when is_target_window_closed and is_within_target then 1 end)',
                 'count(case when is_target_window_closed then 1 end)') }} as share_within_target,
        {{ ratio('count(case when is_best_in_class_window_closed
                         and is_within_best_in_class then 1 end)',
                 'count(case when is_best_in_class_window_closed then 1 end)') }}
            as share_within_best_in_class
    from members
    group by
        period_basis, period_grain, cohort_period, cohort_label, segment, dimension,
        dimension_value
),

final as (
    select
        summarized.period_basis,
        summarized.period_grain,
        summarized.cohort_period,
        summarized.cohort_label,
        summarized.segment,
        summarized.dimension,
        summarized.dimension_value,
        summarized.accounts,
        summarized.reached_value,
        summarized.still_onboarding,
        summarized.churned_before_value,
        summarized.accounts_with_ttv,
        summarized.median_ttv_days,
        km_medians.km_median_ttv_days,
        summarized.p25_ttv_days,
        summarized.p75_ttv_days,
        summarized.avg_ttv_days,
        summarized.share_under_30,
        summarized.share_30_60,
        summarized.share_60_90,
        summarized.share_over_90,
        summarized.median_ttfv_days,
        summarized.share_within_target,
        summarized.share_within_best_in_class,
        {{ as_of_date() }} as as_of_date
    from summarized
    -- cohort_label, never NULL, stands for cohort_period (NULL in the all_time rows)
    left join km_medians
        on summarized.period_basis = km_medians.period_basis
            and summarized.period_grain = km_medians.period_grain
            and summarized.cohort_label = km_medians.cohort_label
            and summarized.segment = km_medians.segment
            and summarized.dimension = km_medians.dimension
            and summarized.dimension_value = km_medians.dimension_value
)

select * from final
order by period_basis, period_grain, cohort_period, segment, dimension, dimension_value
