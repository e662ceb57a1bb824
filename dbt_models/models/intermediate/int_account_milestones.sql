{{ config(materialized='table') }}
{#- Every account against every milestone of the catalogue, reached or not, measured from the
    account's start of the clock. -#}
with accounts as (
    select * from {{ ref('int_accounts_resolved') }}
),

milestones as (
    select * from {{ ref('stg_config__milestones') }}
),

reached as (
    select * from {{ ref('int_milestones_reached') }}
),

targets as (
    select * from {{ ref('stg_config__milestone_targets') }}
),

-- the start of the clock: the segment's start milestone, else the account's creation (SPEC §4)
clocks as (
    select
        accounts.account_id,
        reached.reached_at as start_milestone_at,
        coalesce(reached.reached_at, accounts.created_at) as start_at
    from accounts
    left join reached
        on accounts.account_id = reached.account_id
            and accounts.start_milestone = reached.milestone
),

final as (
    select
        accounts.account_id,
        accounts.segment,
        milestones.milestone,
        milestones.milestone_order,
        milestones.source,
        milestones.owner,
        milestones.is_value_milestone,
        coalesce(segment_targets.target_days, default_targets.target_days) as target_days,
        clocks.start_at,
        clocks.start_milestone_at,
        reached.reached_at,
        -- a value milestone before the start is a data issue, never a negative duration (SPEC §5)
        coalesce(milestones.is_value_milestone and reached.reached_at < clocks.start_at, false)
            as is_value_before_start,
        case
            when not (milestones.is_value_milestone and reached.reached_at < clocks.start_at)
                then {{ days_between('clocks.start_at', 'reached.reached_at') }}
        end as days_from_start
    from accounts
    cross join milestones
    inner join clocks
        on accounts.account_id = clocks.account_id
    left join reached
        on accounts.account_id = reached.account_id
            and milestones.milestone = reached.milestone
    left join targets as segment_targets
        on accounts.segment = segment_targets.segment
            and milestones.milestone = segment_targets.milestone
    left join targets as default_targets
        on default_targets.segment = '*'
            and milestones.milestone = default_targets.milestone
)

select * from final
