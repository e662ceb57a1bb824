{#- One row per account, journey and milestone after the journey's first (SPEC §4). A step starts
    at the latest time any earlier milestone of the journey was reached and ends at this
    milestone; reached before that, the work ran in parallel and the step takes 0 days. So an
    account's steps add up to the time from its start to its latest milestone. -#}
with journey_milestones as (
    select * from {{ ref('int_journey_milestones') }}
),

windowed as (
    select
        *,
        lag(milestone) over (partition by account_id, journey order by step_order)
            as previous_milestone,
        max(counted_at) over (
            partition by account_id, journey order by step_order
            rows between unbounded preceding and 1 preceding
        ) as started_at
    from journey_milestones
),

final as (
    select
        account_id,
        journey,
        concat(previous_milestone, ' -> ', milestone) as step,
        step_order - 1 as step_order,
        milestone,
        owner,
        started_at,
        reached_at as ended_at,
        case
            when counted_at < started_at then 0.0
            else {{ days_between('started_at', 'counted_at') }}
        end as duration_days,
        case when counted_at is not null then counted_at < started_at end as in_parallel
    from windowed
    where step_order > 1
)

select * from final
order by account_id, journey, step_order
