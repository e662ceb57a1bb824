{{ config(materialized='incremental', incremental_strategy=incremental_strategy(),
          unique_key='event_date', partition_by=['event_date'], on_schema_change='fail') }}
{#- The account days that complete an active_days window: one row per account, active_days
    milestone and UTC day on which the window of `window_days` days ending that day holds events
    on at least `min_active_days` distinct days, at the day's first event. Built incrementally
    from int_account_event_days: a day whose event count changed is rebuilt with the
    `window_days` - 1 days after it (their windows hold it); each day reads its window's days
    only. A change of the active_days rules in the catalogue rebuilds every day. As-of: a day's
    window holds only earlier days, so the first such day on or before as-of is the first such
    day when that is on or before as-of; readers keep min(first_at) when it is. -#}

with rules as (
    select
        milestone,
        window_days,
        min_active_days
    from {{ ref('stg_config__milestones') }}
    where rule = 'active_days'
),

widest as (
    select coalesce(max(window_days), 1) as window_days
    from rules
),

day_counts as (
    select
        event_date,
        {{ day_number('event_date') }} as day_number,
        max(day_events) as day_events
    from {{ ref('int_account_event_days') }}
    group by event_date
),

{% if is_incremental() %}
-- a rule the built rows do not follow (changed or removed), or one with no built rows (new)
rules_changed as (
    select count(*) > 0 as is_changed
    from (
        select milestone, window_days, min_active_days from {{ this }}
        except
        select milestone, window_days, min_active_days from rules
        union all
        select rules.milestone, rules.window_days, rules.min_active_days from rules
        where rules.milestone not in (select built.milestone from {{ this }} as built)
    ) as differences
),

{% endif %}
changed_days as (
    {{ days_to_rebuild('day_counts', '(select is_changed from rules_changed)') }}
),

days_to_build as (
    select distinct
        day_counts.event_date,
        day_counts.day_number,
        day_counts.day_events
    from day_counts
    cross join widest
    inner join changed_days
        on day_counts.day_number
            between changed_days.day_number and changed_days.day_number + widest.window_days - 1
),

-- the days the rebuilt days' windows read
days_read as (
    select distinct day_counts.event_date
    from day_counts
    cross join widest
    inner join days_to_build
        on day_counts.day_number
            between days_to_build.day_number - widest.window_days + 1 and days_to_build.day_number
),

-- from the first day read on (the scan skips the row groups before it: days are added in order)
event_days as (
    select * from {{ ref('int_account_event_days') }}
    where event_date >= (select min(event_date) from days_read)
),

account_days as (
    select
        event_days.account_id,
        event_days.event_date,
        {{ day_number('event_days.event_date') }} as day_number,
        min(event_days.first_at) as first_at
    from event_days
    inner join days_read
        on event_days.event_date = days_read.event_date
    group by event_days.account_id, event_days.event_date
),

final as (
    select
        account_days.account_id,
        rules.milestone,
        rules.window_days,
        rules.min_active_days,
        account_days.first_at,
        days_to_build.day_events,
        account_days.event_date
    from account_days
    inner join days_to_build
        on account_days.event_date = days_to_build.event_date
    cross join rules
    inner join account_days as earlier_days
        on account_days.account_id = earlier_days.account_id
            and earlier_days.day_number between account_days.day_number - rules.window_days + 1
            and account_days.day_number
    group by
        account_days.account_id, rules.milestone, rules.window_days, rules.min_active_days,
        account_days.first_at, days_to_build.day_events, account_days.event_date
    having count(*) >= rules.min_active_days
)

select * from final
