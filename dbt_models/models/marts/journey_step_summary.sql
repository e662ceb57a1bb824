{#- One row per journey, step and segment, plus the `All` segment: how long each step takes and
    which step is the bottleneck (SPEC §4). Quantiles are continuous (linear interpolation). -#}
with steps as (
    select * from {{ ref('journey_steps') }}
),

accounts as (
    select * from {{ ref('account_ttv') }}
),

by_segment as (
    select steps.*, accounts.segment
    from steps
    inner join accounts
        on steps.account_id = accounts.account_id
    union all
    select steps.*, 'All' as segment
    from steps
),

summarized as (
    select
        journey,
        step,
        step_order,
        owner,
        segment,
        count(duration_days) as accounts_completed,
        avg(duration_days) as avg_days,
        percentile_cont(0.5) within group (order by duration_days) as median_days,
        percentile_cont(0.25) within group (order by duration_days) as p25_days,
        percentile_cont(0.75) within group (order by duration_days) as p75_days,
        min(duration_days) as min_days,
        max(duration_days) as max_days,
        count(case when in_parallel then 1 end) as accounts_in_parallel
    from by_segment
    group by journey, step, step_order, owner, segment
),

final as (
    select
        *,
        {{ ratio('median_days', 'sum(median_days) over (partition by journey, segment)') }}
            as share_of_journey,
        coalesce(median_days = max(median_days) over (partition by journey, segment), false)
            as is_bottleneck
    from summarized
)

select * from final
order by journey, segment, step_order, step
