with source as (
    select * from {{ source('crm', 'contracts') }}
),

final as (
    select
        contract_id,
        account_id,
        contract_type,
        signed_at,
        start_date,
        end_date,
        cast(arr as double) as arr
    from source
)

select * from final
