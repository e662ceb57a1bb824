{#- One row per journey, step and segment, for each segment and each segment group (SPEC §4,
    §4.1): how long each step takes and which step is the bottleneck. A step counts only the
    accounts that follow its journey (journey_steps holds nothing else). Quantiles are continuous
    (linear interpolation). -#}
with steps as (
    select * from {{ ref('journey_steps') }}
),

accounts as (
    select * from {{ ref('int_accounts_resolved') }}
),

account_segments as (
    select * from {{ ref('int_account_segments') }}
),

-- the first step is labelled by the segment's start milestone, also for an account whose clock
-- started at created_at (its own row reads `start -> ...`): one label per step and segment, as
-- a group's segments share their start milestone
labelled as (
    select
        steps.*,
        case
            when steps.step_order = 1 then concat(accounts.start_milestone, ' -> ', steps.milestone)
            else steps.step
        end as summary_step
    from steps
    inner join accounts
        on steps.account_id = accounts.account_id
),

summarized as (
    select
        labelled.journey,
        labelled.summary_step as step,
        labelled.step_order,
        labelled.owner,
        account_segments.segment,
        count(labelled.duration_days) as accounts_completed,
        avg(labelled.duration_days) as avg_days,
        percentile_cont(0.5) within group (order by labelled.duration_days) as median_days,
        percentile_cont(0.25) within group (order by labelled.duration_days) as p25_days,
        percentile_cont(0.75) within group (order by labelled.duration_days) as p75_days,
        min(labelled.duration_days) as min_days,
        max(labelled.duration_days) as max_days,
        count(case when labelled.in_parallel then 1 end) as accounts_in_parallel
    from labelled
    inner join account_segments
        on labelled.account_id = account_segments.account_id
    group by
        labelled.journey, labelled.summary_step, labelled.step_order, labelled.owner,
        account_segments.segment
),

final as (
    select
        *,
        {{ ratio('median_days', 'sum(median_days) over (partition by journey, segment)') }}
            as share_of_journey,
        coalesce(median_days = max(median_days) over (partition by journey, segment), false)
            as is_bottleneck,
        {{ as_of_date() }} as as_of_date
    from summarized
)

select * from final
order by journey, segment, step_order, step
