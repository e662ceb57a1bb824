{#- Every difference between the engines the models run on lives here, one dispatch macro each,
    so no model names an engine. DuckDB is the default; Spark is the distributed one (SPEC §8). -#}

{#- Fractional days from one timestamp to another (seconds / 86400, SPEC §4). dbt.datediff
    counts boundaries crossed, not elapsed time, and differs by engine; microseconds don't. -#}
{% macro days_between(start_at, end_at) -%}
    {{ return(adapter.dispatch('days_between')(start_at, end_at)) }}
{%- endmacro %}

{% macro default__days_between(start_at, end_at) -%}
    (cast(epoch_us({{ end_at }}) - epoch_us({{ start_at }}) as double) / 86400000000)
{%- endmacro %}

{% macro spark__days_between(start_at, end_at) -%}
    (cast(unix_micros({{ end_at }}) - unix_micros({{ start_at }}) as double) / 86400000000)
{%- endmacro %}

{#- Whole UTC days since 1970-01-01 of a timestamp: an integer to window over by day. -#}
{% macro day_number(ts) -%}
    {{ return(adapter.dispatch('day_number')(ts)) }}
{%- endmacro %}

{% macro default__day_number(ts) -%}
    cast(epoch_us(cast(cast({{ ts }} as date) as timestamp)) // 86400000000 as integer)
{%- endmacro %}

{% macro spark__day_number(ts) -%}
    unix_date(cast({{ ts }} as date))
{%- endmacro %}

{#- Safe ratio: NULL, not an error or infinity, when the denominator is 0 or NULL. -#}
{% macro ratio(numerator, denominator) -%}
    case when {{ denominator }} <> 0 then cast({{ numerator }} as double) / {{ denominator }} end
{%- endmacro %}
