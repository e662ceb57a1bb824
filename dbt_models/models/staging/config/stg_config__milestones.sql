with source as (
    select * from {{ source('config', 'milestones') }}
),

final as (
    select * from source
)

select * from final
