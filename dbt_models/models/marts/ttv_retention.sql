{#- One row per segment (and segment group) and ttv_band that has accounts: how the first term
    ended for accounts by how fast they reached value (SPEC §1, §4.1). Only accounts with a first
    term count (a new_business contract signed by as-of): a free account that never paid has no
    term to renew. renewed + churned + pending + unknown = accounts. -#}
with accounts as (
    select * from {{ ref('account_ttv') }}
    where has_first_term
),

account_segments as (
    select * from {{ ref('int_account_segments') }}
),

summarized as (
    select
        account_segments.segment,
        accounts.ttv_band,
        count(*) as accounts,
        count(case when accounts.renewal_outcome = 'renewed' then 1 end) as renewed,
        count(case when accounts.renewal_outcome = 'churned' then 1 end) as churned,
        count(case when accounts.renewal_outcome = 'pending' then 1 end) as pending,
        count(case when accounts.renewal_outcome = 'unknown' then 1 end) as unknown,
        avg(accounts.first_term_arr) as avg_first_term_arr
    from accounts
    inner join account_segments
        on accounts.account_id = account_segments.account_id
    group by account_segments.segment, accounts.ttv_band
),

final as (
    select
        segment,
        ttv_band,
        accounts,
        renewed,
        churned,
        pending,
        unknown,
        {{ ratio('renewed', '(renewed + churned)') }} as renewal_rate,
        avg_first_term_arr,
        {{ as_of_date() }} as as_of_date
    from summarized
)

select * from final
order by
    segment,
    case ttv_band
        when '<30' then 1 when '30-60' then 2 when '60-90' then 3 when '>90' then 4
        when 'not_reached' then 5 else 6
    end
