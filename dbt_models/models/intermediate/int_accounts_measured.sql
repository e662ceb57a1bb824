{#- One row per account: its start of the clock, time to first value, value and full value,
    onboarding status and progress, and the outcome of its first term (SPEC §4). The one place
    these are computed: account_ttv publishes them, int_cohort_members groups them into cohorts,
    so no intermediate model reads a mart (issue 11). A table, not a view: int_cohort_members
    stacks it once per period and dimension, and Spark runs out of heap planning that many copies
    of this computation inlined. -#}
{{ config(materialized='table') }}

with accounts as (
    select * from {{ ref('int_accounts_resolved') }}
),

account_milestones as (
    select * from {{ ref('int_account_milestones') }}
),

journey_milestones as (
    select * from {{ ref('int_journey_milestones') }}
),

contracts as (
    select * from {{ ref('stg_crm__contracts') }}
    where signed_at <= {{ as_of() }}
),

first_terms as (
    select
        account_id,
        arr as first_term_arr,
        start_date as first_term_start,
        end_date as first_term_end_date
    from contracts
    where contract_type = 'new_business'
    qualify row_number() over (partition by account_id order by signed_at, contract_id) = 1
),

renewals as (
    select distinct account_id
    from contracts
    where contract_type = 'renewal'
),

value_points as (
    select
        account_milestones.account_id,
        min(account_milestones.start_at) as start_at,
        {%- for kind in ['value', 'first_value', 'full_value'] %}
            max(case when account_milestones.milestone = accounts.{{ kind }}_milestone
                    then account_milestones.reached_at
            end) as {{ kind }}_at,
            max(case when account_milestones.milestone = accounts.{{ kind }}_milestone
                    then account_milestones.days_from_start
            end) as {{ kind }}_days,
            bool_or(
                account_milestones.milestone = accounts.{{ kind }}_milestone
                and account_milestones.is_value_before_start
            ) as has_{{ kind }}_before_start
            {%- if not loop.last %},{% endif %}
        {%- endfor %}
    from account_milestones
    inner join accounts
        on account_milestones.account_id = accounts.account_id
    group by account_milestones.account_id
),

-- share of the distinct milestones in the account's journeys (with its own start) it reached
progress as (
    select
        account_id,
        {{ ratio('count(distinct case when reached_at is not null then milestone end)',
                 'count(distinct milestone)') }} as onboarding_progress
    from journey_milestones
    group by account_id
),

measured as (
    select
        accounts.*,
        value_points.start_at,
        value_points.value_at,
        value_points.value_days as ttv_days,
        value_points.first_value_at,
        value_points.first_value_days as ttfv_days,
        value_points.full_value_at,
        value_points.full_value_days as time_to_full_value_days,
        value_points.has_value_before_start,
        value_points.has_first_value_before_start,
        value_points.has_full_value_before_start,
        progress.onboarding_progress,
        first_terms.first_term_arr,
        first_terms.first_term_start,
        first_terms.first_term_end_date,
        first_terms.account_id is not null as has_first_term,
        renewals.account_id is not null as has_renewal,
        -- a churn dated before the start of the clock is a data issue, never a negative span
        coalesce(accounts.churned_at < value_points.start_at, false) as has_churn_before_start,
        case
            when value_points.value_at is not null then value_points.value_days
            when accounts.churned_at < value_points.start_at then null
            when accounts.churned_at is not null
                then {{ days_between('value_points.start_at', 'accounts.churned_at') }}
            else {{ days_between('value_points.start_at', as_of()) }}
        end as days_onboarding
    from accounts
    inner join value_points
        on accounts.account_id = value_points.account_id
    left join progress
        on accounts.account_id = progress.account_id
    left join first_terms
        on accounts.account_id = first_terms.account_id
    left join renewals
        on accounts.account_id = renewals.account_id
),

final as (
    select
        account_id,
        account_name,
        segment,
        industry,
        plan_tier,
        sales_channel,
        csm_owner,
        region,
        is_pre_onboarding as pre_onboarding,
        configuration_approach,
        touch_model,
        onboarding_variant,
        integrations,
        start_milestone,
        value_milestone,
        created_at,
        start_at,
        cast({{ dbt.date_trunc('month', 'start_at') }} as date) as cohort_month,
        concat(
            cast(extract(year from start_at) as {{ dbt.type_string() }}), '-Q',
            cast(extract(quarter from start_at) as {{ dbt.type_string() }})
        ) as cohort_quarter,
        first_value_at,
        ttfv_days,
        value_at,
        ttv_days,
        full_value_at,
        time_to_full_value_days,
        churned_at,
        -- the reason of a churn not known as of the run's date is not known either; empty is NULL
        case when churned_at is not null then nullif(trim(churn_reason), '') end as churn_reason,
        -- half-open bands of ttv_days (SPEC §4; var ttv_bands); `data_issue` when the value
        -- date is not trusted, so the bands always add up to the accounts (SPEC §4.1)
        case
            when value_at is null then 'not_reached'
            when ttv_days is null then 'data_issue'
            else {{ ttv_band('ttv_days') }}
        end as ttv_band,
        case
            when value_at is not null then 'achieved'
            when churned_at is not null then 'churned_before_value'
            when days_onboarding > target_days then 'overdue'
            else 'in_progress'
        end as value_status,
        -- SPEC §9.4: 1 (fastest) to 4 within the segment, over the trusted durations only
        case when ttv_days is not null then ntile(4) over (
                    partition by segment, ttv_days is null order by ttv_days, account_id
                )
        end as ttv_quartile,
        target_days,
        best_in_class_days,
        days_onboarding,
        onboarding_progress,
        case
            when has_renewal then 'renewed'
            when churned_at is not null then 'churned'
            when first_term_end_date > {{ as_of_date() }} then 'pending'
            else 'unknown'
        end as renewal_outcome,
        first_term_arr,
        first_term_start,
        has_first_term,
        nullif(concat_ws(
            ', ',
            case when has_value_before_start then 'value_before_start' end,
            case when has_first_value_before_start and first_value_milestone <> value_milestone
                    then 'first_value_before_start'
            end,
            case when has_full_value_before_start and full_value_milestone <> value_milestone
                    then 'full_value_before_start'
            end,
            case when has_churn_before_start then 'churned_before_start' end
        ), '') as data_issue,
        {{ as_of_date() }} as as_of_date
    from measured
)

select * from final
