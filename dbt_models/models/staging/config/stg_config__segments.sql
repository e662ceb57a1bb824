with source as (
    select * from {{ source('config', 'segments') }}
),

final as (
    select * from source
)

select * from final
