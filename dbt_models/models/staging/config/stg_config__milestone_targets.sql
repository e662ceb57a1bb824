with source as (
    select * from {{ source('config', 'milestone_targets') }}
),

final as (
    select * from source
)

select * from final
