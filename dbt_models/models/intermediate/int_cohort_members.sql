{#- Each account once per period basis, period grain, reported segment and dimension it is
    grouped by in cohort_ttv (SPEC §4.1). Reads int_accounts_measured, which account_ttv
    publishes as it is, so that cohorts use exactly the numbers analysts see per account.
    - period_basis `start`: every account, by the period of start_at; `value`: the accounts that
      reached value with a trusted duration, by the period of value_at.
    - period_grain month, quarter, year, all_time (cohort_period NULL) and trailing_12_months
      (the dated moment in [as-of minus 12 months, as-of); cohort_period is the window's start).
    - segment: the account's segment and each segment group that pools it. -#}
{%- set dimensions = [
    'segment', 'csm_owner', 'industry', 'plan_tier', 'sales_channel', 'pre_onboarding',
    'configuration_approach', 'touch_model', 'onboarding_variant',
] -%}

with accounts as (
    select * from {{ ref('int_accounts_measured') }}
),

account_segments as (
    select * from {{ ref('int_account_segments') }}
),

based as (
    select
        'start' as period_basis,
        start_at as period_at,
        accounts.*
    from accounts
    union all
    select
        'value' as period_basis,
        value_at as period_at,
        accounts.*
    from accounts
    where ttv_days is not null
),

periods as (
    select
        'month' as period_grain,
        cast({{ dbt.date_trunc('month', 'period_at') }} as date) as cohort_period,
        concat(
            cast(extract(year from period_at) as {{ dbt.type_string() }}), '-',
            lpad(cast(extract(month from period_at) as {{ dbt.type_string() }}), 2, '0')
        ) as cohort_label,
        based.*
    from based
    union all
    select
        'quarter' as period_grain,
        cast({{ dbt.date_trunc('quarter', 'period_at') }} as date) as cohort_period,
        concat(
            cast(extract(year from period_at) as {{ dbt.type_string() }}), '-Q',
            cast(extract(quarter from period_at) as {{ dbt.type_string() }})
        ) as cohort_label,
        based.*
    from based
    union all
    select
        'year' as period_grain,
        cast({{ dbt.date_trunc('year', 'period_at') }} as date) as cohort_period,
        cast(extract(year from period_at) as {{ dbt.type_string() }}) as cohort_label,
        based.*
    from based
    union all
    select
        'all_time' as period_grain,
        cast(null as date) as cohort_period,
        'all time' as cohort_label,
        based.*
    from based
    union all
    select
        'trailing_12_months' as period_grain,
        {{ trailing_12_months_start() }} as cohort_period,
        'trailing 12 months' as cohort_label,
        based.*
    from based
    where period_at >= cast({{ trailing_12_months_start() }} as {{ dbt.type_timestamp() }})
        and period_at < {{ as_of() }}
),

members as (
    select
        periods.*,
        account_segments.segment as reported_segment,
        -- target attainment (SPEC §4.1): the account's window [start_at, start_at + target] has
        -- ended by as-of, and it has no data issue; within it when value came by the window's end
        data_issue is null and target_days is not null
        and {{ days_between('start_at', as_of()) }} >= target_days as is_target_window_closed,
        data_issue is null and best_in_class_days is not null
        and {{ days_between('start_at', as_of()) }} >= best_in_class_days
            as is_best_in_class_window_closed,
        coalesce(ttv_days <= target_days, false) as is_within_target,
        coalesce(ttv_days <= best_in_class_days, false) as is_within_best_in_class
    from periods
    inner join account_segments
        on periods.account_id = account_segments.account_id
),

final as (
    select
        period_basis,
        period_grain,
        cohort_period,
        cohort_label,
        reported_segment as segment,
        'all' as dimension,
        'all' as dimension_value,
        account_id,
        value_status,
        ttv_days,
        ttfv_days,
        days_onboarding,
        data_issue,
        is_target_window_closed,
        is_best_in_class_window_closed,
        is_within_target,
        is_within_best_in_class
    from members
    {%- for dimension in dimensions %}
        union all
        select
            period_basis, period_grain, cohort_period, cohort_label, reported_segment as segment,
            '{{ dimension }}' as dimension,
            {%- if dimension == 'pre_onboarding' %}
                case
                    when {{ dimension }} then 'true' when not {{ dimension }} then 'false' else
                        'unknown'
                end
            {%- else %}
                coalesce({{ dimension }}, 'unknown')
            {%- endif %} as dimension_value,
            account_id, value_status, ttv_days, ttfv_days, days_onboarding, data_issue,
            is_target_window_closed, is_best_in_class_window_closed, is_within_target,
            is_within_best_in_class
        from members
    {%- endfor %}
)

select * from final
