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

-- per account, event name and day (incremental): its first event on or before as-of
event_days_named as (
    select * from {{ ref('int_account_event_days') }}
    where first_at <= {{ as_of() }}
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

event_firsts as (
    select
        account_id,
        event_name,
        min(first_at) as first_at
    from event_days_named
    group by account_id, event_name
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

event_days as (
    select
        account_id,
        {{ day_number('event_date') }} as day_number,
        min(first_at) as first_at
    from event_days_named
    group by account_id, {{ day_number('event_date') }}
),

-- active_days: the first day whose window of `window_days` consecutive days ending on it holds
-- events on at least `min_active_days` distinct days; reached at that day's first event
active_windows as (
    select
        event_days.account_id,
        milestones.milestone,
        event_days.first_at
    from event_days
    inner join milestones
        on milestones.rule = 'active_days'
    inner join event_days as earlier_days
        on event_days.account_id = earlier_days.account_id
            and earlier_days.day_number between event_days.day_number - milestones.window_days + 1
            and event_days.day_number
    group by
        event_days.account_id, milestones.milestone, event_days.first_at,
        milestones.min_active_days
    having count(*) >= milestones.min_active_days
),

active_day_milestones as (
    select
        account_id,
        milestone,
        min(first_at) as reached_at
    from active_windows
    group by account_id, milestone
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
