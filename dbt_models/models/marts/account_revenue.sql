{#- One row per account with a first term (a new_business contract signed by as-of): its revenue
    since, what it was worth 12 months into the first term, its expansions and the time to exceed
    value (SPEC §9.1). Contracts signed after as-of are not known yet. Dates compare as dates: a
    contract is in force on day d when start_date <= d < end_date (no end_date: open-ended). -#}
with accounts as (
    select * from {{ ref('account_ttv') }}
    where has_first_term
),

contracts as (
    select * from {{ ref('stg_crm__contracts') }}
    where signed_at <= {{ as_of() }}
),

terms as (
    select
        *,
        -- "12 months" is 12 calendar months (SPEC §9): 2025-01-31 gives 2026-01-31, 29 February
        -- gives 28 February on both engines. The first term is account_ttv's (one rule).
        cast({{ dbt.dateadd('month', 12, 'first_term_start') }} as date) as first_term_start_12m
    from accounts
),

dated as (
    select
        account_id,
        segment,
        ttv_band,
        start_at,
        churned_at,
        first_term_arr,
        first_term_start,
        first_term_start_12m,
        -- the 12-month mark is known only once it is on or before the as-of date
        first_term_start_12m <= {{ as_of_date() }} as is_12_months_known
    from terms
),

contract_measures as (
    select
        dated.account_id,
        coalesce(sum(case when contracts.start_date <= {{ as_of_date() }}
                and (contracts.end_date is null or {{ as_of_date() }} < contracts.end_date)
                then contracts.arr
        end), 0) as arr_now,
        coalesce(sum(case when contracts.start_date <= dated.first_term_start_12m
                and (contracts.end_date is null or dated.first_term_start_12m < contracts.end_date)
                then contracts.arr
        end), 0) as arr_at_12_months_if_known,
        count(case when contracts.contract_type = 'expansion' then 1 end) as expansions,
        coalesce(sum(case when contracts.contract_type = 'expansion' then contracts.arr end), 0)
            as expansion_arr,
        min(case when contracts.contract_type = 'expansion' then contracts.signed_at end)
            as first_expansion_at,
        count(case when contracts.contract_type = 'expansion'
                and cast(contracts.signed_at as date) < dated.first_term_start_12m then 1
        end)
            as expansions_within_12_months,
        -- arr x days of [start_date, least(end_date, as-of date)) / 365; not started adds 0
        coalesce(sum(contracts.arr * greatest(0, {{ days_between(
            'cast(contracts.start_date as ' ~ dbt.type_timestamp() ~ ')',
            'cast(least(coalesce(contracts.end_date, ' ~ as_of_date() ~ '), ' ~ as_of_date()
                ~ ') as ' ~ dbt.type_timestamp() ~ ')') }}) / 365), 0) as revenue_to_date
    from dated
    inner join contracts
        on dated.account_id = contracts.account_id
    group by dated.account_id
),

final as (
    select
        dated.account_id,
        dated.segment,
        dated.ttv_band,
        dated.start_at,
        dated.first_term_start,
        contract_measures.first_expansion_at,
        dated.first_term_arr,
        contract_measures.arr_now,
        case when dated.is_12_months_known then contract_measures.arr_at_12_months_if_known end
            as arr_at_12_months,
        case when dated.is_12_months_known then {{ ratio(
            'contract_measures.arr_at_12_months_if_known', 'dated.first_term_arr') }} end
            as nrr_12m,
        contract_measures.expansions,
        contract_measures.expansion_arr,
        -- time to exceed value; an expansion before the start of the clock is a data issue
        case when contract_measures.first_expansion_at >= dated.start_at
                then {{ days_between('dated.start_at', 'contract_measures.first_expansion_at') }}
        end as days_to_first_expansion,
        case
            when contract_measures.expansions_within_12_months > 0 then true
            when dated.is_12_months_known then false
        end as expanded_within_12_months,
        contract_measures.revenue_to_date,
        -- the censoring time of the first expansion (SPEC §9.2): at churn, else at as-of
        case when contract_measures.first_expansion_at is null
                and coalesce(dated.churned_at, {{ as_of() }}) >= dated.start_at
                then {{ days_between('dated.start_at',
                                     'coalesce(dated.churned_at, ' ~ as_of() ~ ')') }}
        end as days_to_expansion_censored,
        case when contract_measures.first_expansion_at < dated.start_at
                then 'expansion_before_start'
        end as data_issue,
        {{ as_of_date() }} as as_of_date
    from dated
    inner join contract_measures
        on dated.account_id = contract_measures.account_id
)

select * from final
order by account_id
