{#- One row per segment (segments only, SPEC §4.1) and window (trailing_12_months by start_at,
    all_time): the segment's time to value against its target, best-in-class and the market's
    range (SPEC §9.8). The statistics are cohort_ttv's start-basis `all` rows for that window,
    so both marts always agree. -#}
with cohorts as (
    select * from {{ ref('cohort_ttv') }}
    where period_basis = 'start'
        and period_grain in ('trailing_12_months', 'all_time')
        and dimension = 'all'
),

segment_groups as (
    select distinct segment_group from {{ ref('stg_config__segment_groups') }}
),

segments as (
    select * from {{ ref('stg_config__segments') }}
),

benchmarked as (
    select
        cohorts.segment,
        cohorts.period_grain as window_name,
        cohorts.accounts,
        cohorts.reached_value,
        cohorts.median_ttv_days,
        cohorts.km_median_ttv_days,
        cohorts.p25_ttv_days,
        cohorts.p75_ttv_days,
        cohorts.share_within_target,
        coalesce(segments.target_days, default_segment.target_days) as target_days,
        coalesce(segments.best_in_class_days, default_segment.best_in_class_days)
            as best_in_class_days,
        coalesce(segments.benchmark_low_days, default_segment.benchmark_low_days)
            as benchmark_low_days,
        coalesce(segments.benchmark_high_days, default_segment.benchmark_high_days)
            as benchmark_high_days
    from cohorts
    left join segments
        on cohorts.segment = segments.segment
            and not segments.is_default
    inner join segments as default_segment
        on default_segment.is_default
    left join segment_groups
        on cohorts.segment = segment_groups.segment_group
    where segment_groups.segment_group is null
),

final as (
    select
        segment,
        -- `window` is a reserved word on Spark: quoted once here, a plain column to analysts
        window_name as {{ adapter.quote('window') }},
        accounts,
        reached_value,
        median_ttv_days,
        km_median_ttv_days,
        p25_ttv_days,
        p75_ttv_days,
        target_days,
        best_in_class_days,
        benchmark_low_days,
        benchmark_high_days,
        km_median_ttv_days - best_in_class_days as gap_to_best_in_class_days,
        case
            when km_median_ttv_days < benchmark_low_days then 'faster_than_benchmark'
            when km_median_ttv_days > benchmark_high_days then 'slower_than_benchmark'
            when km_median_ttv_days is not null and benchmark_low_days is not null
                then 'within_benchmark'
        end as position,
        share_within_target,
        {{ as_of_date() }} as as_of_date
    from benchmarked
)

select * from final
order by segment, {{ adapter.quote('window') }}
