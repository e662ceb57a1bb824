{#- The model has at most one row per combination of `columns` (its grain). NULLs group together,
    so two rows that share a NULL in a key column are reported too. Fails with one row per
    repeated combination and how many times it occurs. -#}
{%- test unique_combination(model, columns) -%}
{#- quoted, so a column named after a keyword (ttv_benchmarks.window) works on both engines -#}
{%- set quoted = [] -%}
{%- for column in columns -%}{%- do quoted.append(adapter.quote(column)) -%}{%- endfor %}
select
    {{ quoted | join(', ') }},
    count(*) as rows_with_this_key
from {{ model }}
group by {{ quoted | join(', ') }}
having count(*) > 1
{% endtest %}
