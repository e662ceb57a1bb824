{#- Each account once per cohort period grain and per dimension it is grouped by in cohort_ttv.
    Reads the account_ttv mart so that cohorts use exactly the numbers analysts see per account. -#}
{%- set dimensions = [
    'segment', 'csm_owner', 'industry', 'plan_tier', 'sales_channel', 'pre_onboarding',
    'configuration_approach', 'touch_model', 'onboarding_variant',
] -%}

with accounts as (
    select * from {{ ref('account_ttv') }}
),

periods as (
    select
        'month' as period_grain,
        cohort_month as cohort_period,
        concat(
            cast(extract(year from cohort_month) as {{ dbt.type_string() }}), '-',
            lpad(cast(extract(month from cohort_month) as {{ dbt.type_string() }}), 2, '0')
        ) as cohort_label,
        accounts.*
    from accounts
    union all
    select
        'quarter' as period_grain,
        cast({{ dbt.date_trunc('quarter', 'start_at') }} as date) as cohort_period,
        cohort_quarter as cohort_label,
        accounts.*
    from accounts
),

final as (
    select
        period_grain, cohort_period, cohort_label, 'all' as dimension, 'all' as dimension_value,
        account_id, value_status, ttv_days, ttfv_days, days_onboarding, data_issue
    from periods
    {%- for dimension in dimensions %}
    union all
    select
        period_grain, cohort_period, cohort_label, '{{ dimension }}' as dimension,
        {%- if dimension == 'pre_onboarding' %}
        case when {{ dimension }} then 'true' when not {{ dimension }} then 'false' else 'unknown' end
        {%- else %}
        coalesce({{ dimension }}, 'unknown')
        {%- endif %} as dimension_value,
        account_id, value_status, ttv_days, ttfv_days, days_onboarding, data_issue
    from periods
    {%- endfor %}
)

select * from final
