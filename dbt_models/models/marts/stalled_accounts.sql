{#- One row per account still onboarding (value_status in_progress or overdue): where it stands
    in the journeys its segment follows, how long since it last progressed, who owns the next
    step and the ARR at risk (SPEC §9.3). Milestones count with their catalogue order; a value
    milestone before the start (a data issue) does not count as progress. -#}
with accounts as (
    select * from {{ ref('account_ttv') }}
    where value_status in ('in_progress', 'overdue')
),

resolved as (
    select * from {{ ref('int_accounts_resolved') }}
),

segments as (
    select * from {{ ref('stg_config__segments') }}
),

journey_milestones as (
    select * from {{ ref('int_journey_milestones') }}
),

catalogue as (
    select * from {{ ref('stg_config__milestones') }}
),

-- each milestone of the account's journeys once (a milestone may be in two journeys)
account_milestones as (
    select distinct
        journey_milestones.account_id,
        journey_milestones.milestone,
        catalogue.milestone_order,
        journey_milestones.owner,
        -- the journeys' first milestone stands for the start milestone; counted_at is NULL for
        -- a value milestone before the start
        case when journey_milestones.step_order = 1 then journey_milestones.reached_at
            else journey_milestones.counted_at
        end as reached_at
    from journey_milestones
    inner join accounts
        on journey_milestones.account_id = accounts.account_id
    inner join catalogue
        on journey_milestones.milestone = catalogue.milestone
),

last_milestones as (
    select
        account_id,
        milestone as last_milestone,
        reached_at as last_milestone_at
    from account_milestones
    where reached_at is not null
    qualify row_number() over (
            partition by account_id order by reached_at desc, milestone_order desc
        ) = 1
),

next_milestones as (
    select
        account_id,
        milestone as next_milestone,
        owner as next_owner
    from account_milestones
    where reached_at is null
    qualify row_number() over (partition by account_id order by milestone_order) = 1
),

stall_limits as (
    select
        resolved.account_id,
        coalesce(segments.stall_after_days, default_segment.stall_after_days) as stall_after_days
    from resolved
    left join segments
        on resolved.segment = segments.segment
            and not segments.is_default
    inner join segments as default_segment
        on default_segment.is_default
),

progressed as (
    select
        accounts.account_id,
        accounts.segment,
        accounts.csm_owner,
        accounts.value_status,
        accounts.start_at,
        accounts.days_onboarding,
        accounts.target_days,
        last_milestones.last_milestone,
        case when last_milestones.last_milestone_at > accounts.start_at
                then last_milestones.last_milestone_at
            else accounts.start_at
        end as last_progress_at,
        next_milestones.next_milestone,
        next_milestones.next_owner,
        stall_limits.stall_after_days,
        accounts.first_term_arr
    from accounts
    left join last_milestones
        on accounts.account_id = last_milestones.account_id
    left join next_milestones
        on accounts.account_id = next_milestones.account_id
    left join stall_limits
        on accounts.account_id = stall_limits.account_id
),

final as (
    select
        account_id,
        segment,
        csm_owner,
        value_status,
        start_at,
        last_progress_at,
        days_onboarding,
        target_days,
        case when days_onboarding > target_days then days_onboarding - target_days else 0 end
            as days_over_target,
        last_milestone,
        {{ days_between('last_progress_at', as_of()) }} as days_since_progress,
        next_milestone,
        next_owner,
        stall_after_days,
        coalesce({{ days_between('last_progress_at', as_of()) }} > stall_after_days, false)
            as is_stalled,
        first_term_arr,
        {{ as_of_date() }} as as_of_date
    from progressed
)

select * from final
order by account_id
