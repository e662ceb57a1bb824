{#- The TTV band of a duration in days, from the `ttv_bands` var of dbt_project.yml (the one
    declaration of the bands): the first range whose `below` the days are under, else the last,
    open-ended one. NULL days give NULL: the caller names what an unmeasured account is. -#}
{% macro ttv_band(days) -%}
    {%- set bands = var('ttv_bands') -%}
    case
        when {{ days }} is null then null
        {%- for band in bands if band.below is defined %}
        when {{ days }} < {{ band.below }} then {{ string_literal(band.band) }}
        {%- endfor %}
        else {{ string_literal((bands | last).band) }}
    end
{%- endmacro %}

{#- The position of a band in the declared order (1 = fastest), then `not_reached`, then any
    other label (`data_issue`): for ordering a mart's rows by band. -#}
{% macro ttv_band_order(column) -%}
    case {{ column }}
        {%- for band in var('ttv_bands') %}
        when {{ string_literal(band.band) }} then {{ loop.index }}
        {%- endfor %}
        when 'not_reached' then {{ var('ttv_bands') | length + 1 }}
        else {{ var('ttv_bands') | length + 2 }}
    end
{%- endmacro %}
