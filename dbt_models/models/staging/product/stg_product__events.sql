with source as (
    select * from {{ source('product', 'events') }}
),

final as (
    select
        event_id,
        account_id,
        user_id,
        event_name,
        properties,
        occurred_at
    from source
)

select * from final
