{#- Statistics shared by the marts, written once so every median and test follows one rule.

    kaplan_meier_median(relation, partition_by, duration, is_event): a query with one row per
    group of `partition_by` (a list of column names of `relation`) and its Kaplan-Meier median
    `km_median` of `duration`: the smallest event time where the survival estimate is at or
    below 0.5, NULL where it never gets there (SPEC §4). Rows with a NULL duration are left out.
    A row censored at the same time as an event is still at risk at that time (SPEC §9): the
    accounts at risk at t are those with duration >= t. -#}
{% macro kaplan_meier_median(relation, partition_by, duration, is_event) -%}
    {%- set groups = partition_by | join(', ') -%}
    select
        {{ groups }},
        -- 1e-9 absorbs the rounding of exp(log(0.5)), so a survival of exactly 0.5 counts
        min(case when km_events > 0 and (km_has_reached_zero = 1 or exp(km_log_survival) <= 0.5 + 1e-9)
            then km_duration end) as km_median
    from (
        select
            *,
            -- S(t) = product of (1 - events / at risk); summed as logs, with a step to zero
            -- tracked apart because log(0) is undefined
            sum(case when km_events > 0 and km_events < km_at_risk
                then ln(1 - cast(km_events as double) / km_at_risk) else 0 end) over (
                partition by {{ groups }}
                order by km_duration rows between unbounded preceding and current row
            ) as km_log_survival,
            max(case when km_events > 0 and km_events = km_at_risk then 1 else 0 end) over (
                partition by {{ groups }}
                order by km_duration rows between unbounded preceding and current row
            ) as km_has_reached_zero
        from (
            select
                *,
                sum(km_observations) over (
                    partition by {{ groups }}
                    order by km_duration desc rows between unbounded preceding and current row
                ) as km_at_risk
            from (
                select
                    {{ groups }},
                    {{ duration }} as km_duration,
                    count(case when {{ is_event }} then 1 end) as km_events,
                    count(*) as km_observations
                from {{ relation }}
                where {{ duration }} is not null
                group by {{ groups }}, {{ duration }}
            ) as km_times
        ) as km_at_risk_times
    ) as km_survival
    group by {{ groups }}
{%- endmacro %}

{#- log_rank_test(relation, partition_by, duration, is_event, in_arm): the log-rank test of two
    groups (SPEC §9.5), one row per group of `partition_by` with `logrank_observed` (O),
    `logrank_expected` (E), `logrank_variance` (V) and `logrank_chi2` = (O - E)^2 / V (NULL when
    V = 0). `in_arm` is true for the arm's rows, false for the control's. At each distinct event
    time t: n at risk (duration >= t), n1 of them in the arm, d events, d1 in the arm;
    O = sum d1, E = sum d n1 / n, V = sum d (n1 / n) (1 - n1 / n) (n - d) / (n - 1) over times
    with n > 1. -#}
{% macro log_rank_test(relation, partition_by, duration, is_event, in_arm) -%}
    {%- set groups = partition_by | join(', ') -%}
    select
        {{ groups }},
        sum(lr_events_in_arm) as logrank_observed,
        sum(cast(lr_events * lr_at_risk_in_arm as double) / lr_at_risk) as logrank_expected,
        sum(case when lr_at_risk > 1 then
            lr_events * (cast(lr_at_risk_in_arm as double) / lr_at_risk)
            * (1 - cast(lr_at_risk_in_arm as double) / lr_at_risk)
            * (lr_at_risk - lr_events) / (lr_at_risk - 1) else 0 end) as logrank_variance,
        case when sum(case when lr_at_risk > 1 then
                lr_events * (cast(lr_at_risk_in_arm as double) / lr_at_risk)
                * (1 - cast(lr_at_risk_in_arm as double) / lr_at_risk)
                * (lr_at_risk - lr_events) / (lr_at_risk - 1) else 0 end) > 0
            then power(sum(lr_events_in_arm)
                    - sum(cast(lr_events * lr_at_risk_in_arm as double) / lr_at_risk), 2)
                / sum(case when lr_at_risk > 1 then
                    lr_events * (cast(lr_at_risk_in_arm as double) / lr_at_risk)
                    * (1 - cast(lr_at_risk_in_arm as double) / lr_at_risk)
                    * (lr_at_risk - lr_events) / (lr_at_risk - 1) else 0 end)
        end as logrank_chi2
    from (
        select
            *,
            sum(lr_observations) over (
                partition by {{ groups }}
                order by lr_duration desc rows between unbounded preceding and current row
            ) as lr_at_risk,
            sum(lr_observations_in_arm) over (
                partition by {{ groups }}
                order by lr_duration desc rows between unbounded preceding and current row
            ) as lr_at_risk_in_arm
        from (
            select
                {{ groups }},
                {{ duration }} as lr_duration,
                count(case when {{ is_event }} then 1 end) as lr_events,
                count(case when {{ is_event }} and {{ in_arm }} then 1 end) as lr_events_in_arm,
                count(*) as lr_observations,
                count(case when {{ in_arm }} then 1 end) as lr_observations_in_arm
            from {{ relation }}
            where {{ duration }} is not null
            group by {{ groups }}, {{ duration }}
        ) as lr_times
    ) as lr_at_risk_times
    where lr_events > 0
    group by {{ groups }}
{%- endmacro %}
