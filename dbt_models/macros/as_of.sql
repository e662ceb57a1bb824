{#- The run's as-of moment: 00:00 UTC of the as-of date (SPEC §4). Facts dated after it are
    ignored. From the `as_of` var (the Dagster job passes it), else TTV_AS_OF, else today UTC. -#}
{% macro as_of_date_literal() -%}
    {%- set value = var('as_of', '') or env_var('TTV_AS_OF', '') -%}
    {%- if not value -%}
        {%- set value = modules.datetime.datetime.utcnow().strftime('%Y-%m-%d') -%}
    {%- endif -%}
    {%- if not modules.re.match('^[0-9]{4}-[0-9]{2}-[0-9]{2}$', value | string) -%}
        {{ exceptions.raise_compiler_error("as_of must be a date like 2026-06-01, got '" ~ value ~ "'") }}
    {%- endif -%}
    '{{ value }}'
{%- endmacro %}

{% macro as_of() -%}
    cast({{ as_of_date_literal() }} as {{ dbt.type_timestamp() }})
{%- endmacro %}

{% macro as_of_date() -%}
    cast({{ as_of_date_literal() }} as date)
{%- endmacro %}

{#- The first day of the trailing 12 months (SPEC §4.1): the as-of date minus 12 calendar
    months (29 February gives 28 February), as a date. Worked out here rather than with an
    engine's interval arithmetic, so both engines read the same literal. -#}
{% macro trailing_12_months_start() -%}
    {%- set as_of_text = as_of_date_literal() | trim | replace("'", "") -%}
    {%- set day = modules.datetime.date.fromisoformat(as_of_text) -%}
    {%- set start = day.replace(year=day.year - 1, day=28) if (day.month == 2 and day.day == 29)
        else day.replace(year=day.year - 1) -%}
    cast('{{ start.isoformat() }}' as date)
{%- endmacro %}
