{{ config(materialized='incremental', incremental_strategy=incremental_strategy(),
          unique_key='event_date', partition_by=['event_date'], on_schema_change='fail') }}
{#- Each account's first event of each name (first_event and all_events rules, §9.7 feature
    adoption), built incrementally from int_account_event_days, day by day like it: a run
    rebuilds the days whose event count changed and keeps, on each, the pairs of account and
    event name not already seen on an earlier kept day. A late event that moves a pair's first to
    an earlier day leaves its later row behind: readers take min(first_at) per pair (a full
    refresh gives the same minimum, tests/test_incremental_models.py). As-of: the first event on
    or before as-of is the pair's first event when that is on or before as-of, so readers keep
    the pairs whose min(first_at) is on or before it. -#}

with day_counts as (
    select
        event_date,
        max(day_events) as day_events
    from {{ ref('int_account_event_days') }}
    group by event_date
),

days_to_build as (
    {{ days_to_rebuild('day_counts') }}
),

-- from the first day to build on (the scan skips the row groups before it: days are added in order)
event_days as (
    select * from {{ ref('int_account_event_days') }}
    where event_date >= (select min(event_date) from days_to_build)
),

candidates as (
    select
        event_days.account_id,
        event_days.event_name,
        event_days.first_at,
        days_to_build.day_events,
        event_days.event_date
    from event_days
    inner join days_to_build
        on event_days.event_date = days_to_build.event_date
),

{% if is_incremental() %}
-- the earliest day each pair has among the days this run keeps
kept_firsts as (
    select
        built.account_id,
        built.event_name,
        min(built.event_date) as event_date
    from {{ this }} as built
    left join days_to_build
        on built.event_date = days_to_build.event_date
    where days_to_build.event_date is null
    group by built.account_id, built.event_name
),

{% endif %}
final as (
    select
        candidates.account_id,
        candidates.event_name,
        candidates.first_at,
        candidates.day_events,
        candidates.event_date
    from candidates
    {%- if is_incremental() %}
    left join kept_firsts
        on candidates.account_id = kept_firsts.account_id
            and candidates.event_name = kept_firsts.event_name
    where kept_firsts.event_date is null or kept_firsts.event_date > candidates.event_date
    {%- endif %}
    qualify candidates.event_date = min(candidates.event_date) over (
            partition by candidates.account_id, candidates.event_name
        )
)

select * from final
