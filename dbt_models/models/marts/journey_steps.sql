{#- One row per account, journey its segment follows and milestone after the journey's first
    (SPEC §4, §4.1). A step starts at the latest time any earlier milestone of the journey was
    reached (from_milestone, the later one in journey order on ties) and ends at this milestone;
    reached before that, the work ran in parallel and the step takes 0 days. So an account's
    steps add up to the time from its start to its latest milestone. -#}
with journey_milestones as (
    select * from {{ ref('int_journey_milestones') }}
),

windowed as (
    select
        *,
        lag(milestone_label) over (partition by account_id, journey order by step_order)
            as previous_milestone,
        max(counted_at) over (
            partition by account_id, journey order by step_order
            rows between unbounded preceding and 1 preceding
        ) as started_at
    from journey_milestones
),

-- a milestone at or after the latest of the ones before it sets a new high: the last such one
-- before a step is the milestone whose time the step starts from, the later one on ties
highs as (
    select
        *,
        max(case when step_order = 1 or counted_at >= started_at then step_order end) over (
            partition by account_id, journey order by step_order
            rows between unbounded preceding and 1 preceding
        ) as from_step_order
    from windowed
),

final as (
    select
        highs.account_id,
        highs.journey,
        concat(highs.previous_milestone, ' -> ', highs.milestone) as step,
        highs.step_order - 1 as step_order,
        highs.milestone,
        from_milestones.milestone_label as from_milestone,
        highs.owner,
        highs.started_at,
        highs.reached_at as ended_at,
        case
            when highs.counted_at < highs.started_at then 0.0
            else {{ days_between('highs.started_at', 'highs.counted_at') }}
        end as duration_days,
        case when highs.counted_at is not null then highs.counted_at < highs.started_at end
            as in_parallel,
        {{ as_of_date() }} as as_of_date
    from highs
    inner join journey_milestones as from_milestones
        on highs.account_id = from_milestones.account_id
            and highs.journey = from_milestones.journey
            and highs.from_step_order = from_milestones.step_order
    where highs.step_order > 1
)

select * from final
order by account_id, journey, step_order
