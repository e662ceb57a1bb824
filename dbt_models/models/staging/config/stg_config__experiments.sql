with source as (
    select * from {{ source('config', 'experiments') }}
),

final as (
    select * from source
)

select * from final
