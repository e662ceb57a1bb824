with source as (
    select * from {{ source('config', 'milestone_events') }}
),

final as (
    select * from source
)

select * from final
