{#- Each account's milestones along each journey its segment follows (config/ttv.yml, SPEC
    §4.1), the journey's first milestone replaced by the account's own start milestone
    (signed_up for PLG by default). -#}
with accounts as (
    select * from {{ ref('int_accounts_resolved') }}
),

journeys as (
    select * from {{ ref('stg_config__journeys') }}
),

journey_segments as (
    select * from {{ ref('stg_config__journey_segments') }}
),

account_milestones as (
    select * from {{ ref('int_account_milestones') }}
),

journey_milestones as (
    select
        accounts.account_id,
        accounts.segment,
        journeys.journey,
        journeys.step_order,
        case when journeys.step_order = 1 then accounts.start_milestone else journeys.milestone end
            as milestone
    from accounts
    inner join journey_segments
        on accounts.catalogue_segment = journey_segments.segment
    inner join journeys
        on journey_segments.journey = journeys.journey
),

final as (
    select
        journey_milestones.account_id,
        journey_milestones.segment,
        journey_milestones.journey,
        journey_milestones.step_order,
        journey_milestones.milestone,
        -- the name steps show: the first milestone is `start` when the account never reached
        -- its start milestone and its clock started at created_at (SPEC §4.1)
        case
            when journey_milestones.step_order = 1 and account_milestones.start_milestone_at is null
                then 'start'
            else journey_milestones.milestone
        end as milestone_label,
        account_milestones.owner,
        account_milestones.reached_at,
        -- the time the journey counts: the first milestone stands at the start of the clock
        -- (which is the account's creation when its start milestone is missing); a value
        -- milestone before the start does not count (its duration is a data issue)
        case
            when journey_milestones.step_order = 1 then account_milestones.start_at
            when not account_milestones.is_value_before_start then account_milestones.reached_at
        end as counted_at
    from journey_milestones
    inner join account_milestones
        on journey_milestones.account_id = account_milestones.account_id
            and journey_milestones.milestone = account_milestones.milestone
)

select * from final
