{#- One row per ttv_band: how the first term ended for accounts by how fast they reached value
    (SPEC §1: faster value, more renewals). -#}
with accounts as (
    select * from {{ ref('account_ttv') }}
),

final as (
    select
        ttv_band,
        count(*) as accounts,
        count(case when renewal_outcome = 'renewed' then 1 end) as renewed,
        count(case when renewal_outcome = 'churned' then 1 end) as churned,
        count(case when renewal_outcome = 'pending' then 1 end) as pending,
        {{ ratio("count(case when renewal_outcome = 'renewed' then 1 end)",
                 "count(case when renewal_outcome in ('renewed', 'churned') then 1 end)") }} as renewal_rate,
        avg(first_term_arr) as avg_first_term_arr
    from accounts
    where ttv_band is not null
    group by ttv_band
)

select * from final
order by case ttv_band when '<30' then 1 when '30-60' then 2 when '60-90' then 3 when '>90' then 4 else 5 end
