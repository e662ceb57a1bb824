with source as (
    select * from {{ source('config', 'journeys') }}
),

final as (
    select * from source
)

select * from final
