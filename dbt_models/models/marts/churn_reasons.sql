{#- One row per segment (and segment group), ttv_band and churn_reason: why the accounts that
    churned by as-of left, by how fast they reached value (SPEC §9.2). Every account churned by
    as-of counts, paying or not; an empty reason is `unknown`. share_of_band_churn adds up to 1
    within a segment and band. -#}
with accounts as (
    select * from {{ ref('account_ttv') }}
    where churned_at is not null
),

account_segments as (
    select * from {{ ref('int_account_segments') }}
),

counted as (
    select
        account_segments.segment,
        accounts.ttv_band,
        coalesce(accounts.churn_reason, 'unknown') as churn_reason,
        count(*) as churned_accounts
    from accounts
    inner join account_segments
        on accounts.account_id = account_segments.account_id
    group by account_segments.segment, accounts.ttv_band, coalesce(accounts.churn_reason, 'unknown')
),

final as (
    select
        segment,
        ttv_band,
        churn_reason,
        churned_accounts,
        {{ ratio('churned_accounts',
                 'sum(churned_accounts) over (partition by segment, ttv_band)') }}
            as share_of_band_churn,
        {{ as_of_date() }} as as_of_date
    from counted
)

select * from final
order by segment, ttv_band, churn_reason
