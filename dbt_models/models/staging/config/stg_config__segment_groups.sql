with source as (
    select * from {{ source('config', 'segment_groups') }}
),

final as (
    select * from source
)

select * from final
