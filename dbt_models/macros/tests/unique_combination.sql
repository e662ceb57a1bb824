{#- The model has at most one row per combination of `columns` (its grain). NULLs group together,
    so two rows that share a NULL in a key column are reported too. Fails with one row per
    repeated combination and how many times it occurs. -#}
{% test unique_combination(model, columns) %}
select
    {{ columns | join(', ') }},
    count(*) as rows_with_this_key
from {{ model }}
group by {{ columns | join(', ') }}
having count(*) > 1
{% endtest %}
