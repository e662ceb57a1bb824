{{ config(materialized='table') }}
{#- When each account first reached each milestone of the catalogue, as of the run's date: one
    row per account and reached milestone. The rules come from config/ttv.yml (no SQL per
    milestone): contract, crm_field, first_event / all_events, active_days. -#}

with milestones as (
    select * from {{ ref('stg_config__milestones') }}
),

milestone_events as (
    select * from {{ ref('stg_config__milestone_events') }}
),

contracts as (
    select * from {{ ref('stg_crm__contracts') }}
    where signed_at <= {{ as_of() }}
),

onboarding_milestones as (
    select * from {{ ref('stg_crm__onboarding_milestones') }}
),

contract_milestones as (
    select
        contracts.account_id,
        milestones.milestone,
        min(contracts.signed_at) as reached_at
    from contracts
    inner join milestones
        on milestones.rule = 'contract' and contracts.contract_type = milestones.contract_type
    group by contracts.account_id, milestones.milestone
),

crm_field_milestones as (
    select
        onboarding_milestones.account_id,
        milestones.milestone,
        onboarding_milestones.reached_at
    from onboarding_milestones
    inner join milestones
        on milestones.rule = 'crm_field' and onboarding_milestones.crm_field = milestones.crm_field
    where onboarding_milestones.reached_at <= {{ as_of() }}
),

-- each account's first event of each name (incremental), when on or before as-of
event_firsts as (
    select
        account_id,
        event_name,
        min(first_at) as first_at
    from {{ ref('int_account_event_firsts') }}
    group by account_id, event_name
    having min(first_at) <= {{ as_of() }}
),

events_needed as (
    select
        milestone,
        count(*) as events_needed
    from milestone_events
    group by milestone
),

-- first_event and all_events: reached once every listed event has happened, at the latest first
event_milestones as (
    select
        event_firsts.account_id,
        milestone_events.milestone,
        max(event_firsts.first_at) as reached_at
    from event_firsts
    inner join milestone_events
        on event_firsts.event_name = milestone_events.event_name
    inner join events_needed
        on milestone_events.milestone = events_needed.milestone
    group by event_firsts.account_id, milestone_events.milestone, events_needed.events_needed
    having count(*) = events_needed.events_needed
),

-- active_days: the first day whose window of `window_days` consecutive days ending on it holds
-- events on at least `min_active_days` distinct days (incremental); reached at that day's first
-- event, when on or before as-of
active_day_milestones as (
    select
        account_id,
        milestone,
        min(first_at) as reached_at
    from {{ ref('int_account_active_windows') }}
    group by account_id, milestone
    having min(first_at) <= {{ as_of() }}
),

final as (
    select
        account_id,
        milestone,
        reached_at
    from contract_milestones
    union all
    select
        account_id,
        milestone,
        reached_at
    from crm_field_milestones
    union all
    select
        account_id,
        milestone,
        reached_at
    from event_milestones
    union all
    select
        account_id,
        milestone,
        reached_at
    from active_day_milestones
)

select * from final
