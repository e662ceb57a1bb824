with source as (
    select * from {{ source('crm', 'accounts') }}
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
        churn_reason,
        created_at,
        churned_at
    from source
)

select * from final
