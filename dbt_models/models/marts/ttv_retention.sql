{#- One row per segment (and segment group) and ttv_band that has accounts: how the first term
    ended for accounts by how fast they reached value (SPEC §1, §4.1), and what they brought in
    revenue and expansion (SPEC §9.2, from account_revenue). Only accounts with a first term
    count (a new_business contract signed by as-of): a free account that never paid has no term
    to renew. renewed + churned + pending + unknown = accounts. -#}
with accounts as (
    select * from {{ ref('account_ttv') }}
    where has_first_term
),

revenue as (
    select * from {{ ref('account_revenue') }}
),

account_segments as (
    select * from {{ ref('int_account_segments') }}
),

members as (
    select
        account_segments.segment,
        accounts.ttv_band,
        accounts.renewal_outcome,
        accounts.first_term_arr,
        revenue.arr_at_12_months,
        revenue.expanded_within_12_months,
        revenue.days_to_first_expansion,
        revenue.revenue_to_date,
        -- Kaplan-Meier observations of the first expansion: an event at its day, else censored
        -- at churn or as-of; an expansion before the start (data issue) is left out
        coalesce(revenue.days_to_first_expansion, revenue.days_to_expansion_censored)
            as expansion_duration_days,
        revenue.days_to_first_expansion is not null as is_expansion_event
    from accounts
    inner join account_segments
        on accounts.account_id = account_segments.account_id
    inner join revenue
        on accounts.account_id = revenue.account_id
),

km_medians as (
    {{ kaplan_meier_median('members', ['segment', 'ttv_band'], 'expansion_duration_days',
                           'is_expansion_event') }}
),

summarized as (
    select
        segment,
        ttv_band,
        count(*) as accounts,
        count(case when renewal_outcome = 'renewed' then 1 end) as renewed,
        count(case when renewal_outcome = 'churned' then 1 end) as churned,
        count(case when renewal_outcome = 'pending' then 1 end) as pending,
        count(case when renewal_outcome = 'unknown' then 1 end) as unknown,
        avg(first_term_arr) as avg_first_term_arr,
        count(arr_at_12_months) as accounts_12m,
        sum(arr_at_12_months) as arr_at_12_months,
        sum(case when arr_at_12_months is not null then first_term_arr end) as first_term_arr_12m,
        count(case when arr_at_12_months is not null and expanded_within_12_months then 1 end)
            as expanded_12m,
        percentile_cont(0.5) within group (order by days_to_first_expansion)
            as median_days_to_first_expansion,
        avg(revenue_to_date) as avg_revenue_to_date
    from members
    group by segment, ttv_band
),

final as (
    select
        summarized.segment,
        summarized.ttv_band,
        accounts,
        renewed,
        churned,
        pending,
        unknown,
        {{ ratio('renewed', '(renewed + churned)') }} as renewal_rate,
        avg_first_term_arr,
        accounts_12m,
        {{ ratio('arr_at_12_months', 'first_term_arr_12m') }} as nrr_12m,
        {{ ratio('expanded_12m', 'accounts_12m') }} as expansion_rate_12m,
        median_days_to_first_expansion,
        km_medians.km_median as km_median_days_to_first_expansion,
        avg_revenue_to_date,
        {{ as_of_date() }} as as_of_date
    from summarized
    left join km_medians
        on summarized.segment = km_medians.segment
            and summarized.ttv_band = km_medians.ttv_band
)

select * from final
order by
    segment,
    {{ ttv_band_order('ttv_band') }}
