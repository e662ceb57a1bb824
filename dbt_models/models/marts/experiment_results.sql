{#- One row per experiment of the catalogue, segment (and segment group) and arm (every
    non-empty value of the experiment's arm column): time to value per arm, censoring-aware, and
    against the control arm of the same segment the Kaplan-Meier difference and a log-rank test
    (SPEC §9.5). Durations are §4's Kaplan-Meier ones: reached value at ttv_days (an event), not
    reached at days_onboarding (censored); data issues are left out of every duration statistic
    but count in `accounts` and `reached_value`. The p-value of a chi-square with one degree of
    freedom is erfc(sqrt(chi2 / 2)) (macros/engine.sql). -#}
with accounts as (
    select * from {{ ref('account_ttv') }}
),

account_segments as (
    select * from {{ ref('int_account_segments') }}
),

experiments as (
    select * from {{ ref('stg_config__experiments') }}
),

members as (
    select
        experiments.experiment,
        account_segments.segment,
        -- the catalogue names the arm column; lib/catalogue.py accepts only these
        trim(case experiments.arm_column
            when 'onboarding_variant' then accounts.onboarding_variant
            when 'configuration_approach' then accounts.configuration_approach
            when 'touch_model' then accounts.touch_model
            when 'plan_tier' then accounts.plan_tier
            when 'sales_channel' then accounts.sales_channel
        end) as arm,
        experiments.control_arm,
        experiments.alpha,
        accounts.account_id,
        accounts.value_status,
        accounts.ttv_days,
        accounts.data_issue,
        case
            when accounts.ttv_days is not null then accounts.ttv_days
            when accounts.value_status <> 'achieved' then accounts.days_onboarding
        end as duration_days,
        accounts.ttv_days is not null as is_event,
        -- target attainment as in cohort_ttv (SPEC §4.1)
        accounts.data_issue is null and accounts.target_days is not null
        and {{ days_between('accounts.start_at', as_of()) }} >= accounts.target_days
            as is_target_window_closed,
        coalesce(accounts.ttv_days <= accounts.target_days, false) as is_within_target
    from accounts
    inner join account_segments
        on accounts.account_id = account_segments.account_id
    cross join experiments
),

arm_members as (
    select * from members
    where arm is not null and arm <> ''
),

km_medians as (
    {{ kaplan_meier_median('arm_members', ['experiment', 'segment', 'arm'], 'duration_days',
                           'is_event') }}
),

-- each non-control arm with the control's accounts of the same experiment and segment
compared as (
    select
        arms.experiment,
        arms.segment,
        arms.arm,
        arm_members.duration_days,
        arm_members.is_event,
        arm_members.arm = arms.arm as is_in_arm
    from (
        select distinct
            experiment,
            segment,
            arm,
            control_arm
        from arm_members
        where arm <> control_arm
    ) as arms
    inner join arm_members
        on arms.experiment = arm_members.experiment
            and arms.segment = arm_members.segment
            and (arm_members.arm = arms.arm or arm_members.arm = arms.control_arm)
),

log_rank as (
    {{ log_rank_test('compared', ['experiment', 'segment', 'arm'], 'duration_days', 'is_event',
                     'is_in_arm') }}
),

summarized as (
    select
        experiment,
        segment,
        arm,
        min(control_arm) as control_arm,
        min(alpha) as alpha,
        count(*) as accounts,
        count(case when value_status = 'achieved' then 1 end) as reached_value,
        percentile_cont(0.5) within group (order by ttv_days) as median_ttv_days,
        {{ ratio('count(case when is_target_window_closed and is_within_target then 1 end)',
                 'count(case when is_target_window_closed then 1 end)') }} as share_within_target
    from arm_members
    group by experiment, segment, arm
),

final as (
    select
        summarized.experiment,
        summarized.segment,
        summarized.arm,
        summarized.arm = summarized.control_arm as is_control,
        summarized.accounts,
        summarized.reached_value,
        summarized.median_ttv_days,
        km_medians.km_median as km_median_ttv_days,
        summarized.share_within_target,
        case when summarized.arm <> summarized.control_arm
                then km_medians.km_median - control_km.km_median
        end as km_median_diff_days,
        -- a non-control arm of a segment without control accounts has no test: NULL
        case when summarized.arm <> summarized.control_arm then log_rank.logrank_chi2 end
            as logrank_chi2,
        case when summarized.arm <> summarized.control_arm
                then {{ erfc('sqrt(log_rank.logrank_chi2 / 2)') }}
        end as logrank_p_value,
        case when summarized.arm <> summarized.control_arm and log_rank.logrank_chi2 is not null
                then {{ erfc('sqrt(log_rank.logrank_chi2 / 2)') }} < summarized.alpha
        end as is_significant,
        summarized.alpha,
        {{ as_of_date() }} as as_of_date
    from summarized
    left join km_medians
        on summarized.experiment = km_medians.experiment
            and summarized.segment = km_medians.segment
            and summarized.arm = km_medians.arm
    left join km_medians as control_km
        on summarized.experiment = control_km.experiment
            and summarized.segment = control_km.segment
            and summarized.control_arm = control_km.arm
    left join log_rank
        on summarized.experiment = log_rank.experiment
            and summarized.segment = log_rank.segment
            and summarized.arm = log_rank.arm
)

select * from final
order by experiment, segment, arm
