with source as (
    select * from {{ source('config', 'features') }}
),

final as (
    select * from source
)

select * from final
