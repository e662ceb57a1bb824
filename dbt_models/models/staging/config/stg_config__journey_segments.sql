with source as (
    select * from {{ source('config', 'journey_segments') }}
),

final as (
    select * from source
)

select * from final
