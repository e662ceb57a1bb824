{#- A duration or count that must never be below zero; NULL (not reached, not trusted) passes.
    Fails with the rows whose value is negative. -#}
{% test not_negative(model, column_name) %}
select *
from {{ model }}
where {{ column_name }} < 0
{% endtest %}
