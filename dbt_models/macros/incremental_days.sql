{#- The days an incremental model built day by day must build (SPEC §8): every day of
    `day_counts` (a CTE with event_date and day_events, the day's event count) on a full build;
    else the days whose count differs from the one the model's rows recorded (a new day, late
    events of an old one) or that have no rows, and every day when `rebuild_all` (a boolean SQL
    expression) holds. Used by int_account_event_days and the models built on it. -#}
{% macro days_to_rebuild(day_counts, rebuild_all=none) -%}
    select {{ day_counts }}.*
    from {{ day_counts }}
    {%- if is_incremental() %}
    left join (
        select
            event_date,
            max(day_events) as day_events
        from {{ this }}
        group by event_date
    ) as built_days
        on {{ day_counts }}.event_date = built_days.event_date
    where built_days.day_events is null
        or built_days.day_events <> {{ day_counts }}.day_events
        {%- if rebuild_all %}
        or {{ rebuild_all }}
        {%- endif %}
    {%- endif %}
{%- endmacro %}
