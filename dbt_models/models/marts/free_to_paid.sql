{#- One row per segment (and segment group) whose clock does not start at contract_signed (PLG by
    default), period grain (month, quarter, all_time) and cohort of start_at: how many free
    accounts paid, how soon (SPEC §9.6). Paying is the contract_signed milestone (the earliest
    new_business signature) reached by as-of; one signed before the start counts as 0 days.
    Kaplan-Meier: not converted is censored at churn, else at as-of. -#}
with accounts as (
    select * from {{ ref('account_ttv') }}
    where start_milestone <> 'contract_signed'
),

account_segments as (
    select * from {{ ref('int_account_segments') }}
),

paid as (
    select
        account_id,
        reached_at as paid_at
    from {{ ref('int_account_milestones') }}
    where milestone = 'contract_signed'
        and reached_at is not null
),

measured as (
    select
        account_segments.segment,
        accounts.account_id,
        accounts.start_at,
        paid.paid_at is not null as is_converted,
        case when paid.paid_at is not null
                then greatest(0, {{ days_between('accounts.start_at', 'paid.paid_at') }})
        end
            as days_to_paid,
        {{ days_between('accounts.start_at', as_of()) }} as days_observable,
        case
            when paid.paid_at is not null
                then greatest(0, {{ days_between('accounts.start_at', 'paid.paid_at') }})
            when coalesce(accounts.churned_at, {{ as_of() }}) >= accounts.start_at
                then {{ days_between('accounts.start_at',
                                     'coalesce(accounts.churned_at, ' ~ as_of() ~ ')') }}
        end as duration_days
    from accounts
    inner join account_segments
        on accounts.account_id = account_segments.account_id
    left join paid
        on accounts.account_id = paid.account_id
),

periods as (
    select
        'month' as period_grain,
        cast({{ dbt.date_trunc('month', 'start_at') }} as date) as cohort_period,
        concat(
            cast(extract(year from start_at) as {{ dbt.type_string() }}), '-',
            lpad(cast(extract(month from start_at) as {{ dbt.type_string() }}), 2, '0')
        ) as cohort_label,
        measured.*
    from measured
    union all
    select
        'quarter' as period_grain,
        cast({{ dbt.date_trunc('quarter', 'start_at') }} as date) as cohort_period,
        concat(
            cast(extract(year from start_at) as {{ dbt.type_string() }}), '-Q',
            cast(extract(quarter from start_at) as {{ dbt.type_string() }})
        ) as cohort_label,
        measured.*
    from measured
    union all
    select
        'all_time' as period_grain,
        cast(null as date) as cohort_period,
        'all time' as cohort_label,
        measured.*
    from measured
),

km_medians as (
    {{ kaplan_meier_median('periods', ['segment', 'period_grain', 'cohort_label'],
                           'duration_days', 'is_converted') }}
),

summarized as (
    select
        segment,
        period_grain,
        cohort_period,
        cohort_label,
        count(*) as accounts,
        count(case when is_converted then 1 end) as converted,
        -- "within N days" includes day N (SPEC §9)
        {{ ratio('count(case when days_observable >= 30 and days_to_paid <= 30 then 1 end)',
                 'count(case when days_observable >= 30 then 1 end)') }}
            as share_converted_within_30_days,
        {{ ratio('count(case when days_observable >= 90 and days_to_paid <= 90 then 1 end)',
                 'count(case when days_observable >= 90 then 1 end)') }}
            as share_converted_within_90_days,
        percentile_cont(0.5) within group (order by days_to_paid) as median_days_to_paid
    from periods
    group by segment, period_grain, cohort_period, cohort_label
),

final as (
    select
        summarized.segment,
        summarized.period_grain,
        summarized.cohort_period,
        summarized.cohort_label,
        summarized.accounts,
        summarized.converted,
        {{ ratio('summarized.converted', 'summarized.accounts') }} as conversion_rate,
        summarized.share_converted_within_30_days,
        summarized.share_converted_within_90_days,
        summarized.median_days_to_paid,
        km_medians.km_median as km_median_days_to_paid,
        {{ as_of_date() }} as as_of_date
    from summarized
    left join km_medians
        on summarized.segment = km_medians.segment
            and summarized.period_grain = km_medians.period_grain
            and summarized.cohort_label = km_medians.cohort_label
)

select * from final
order by segment, period_grain, cohort_period
