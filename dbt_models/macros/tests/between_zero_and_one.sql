{#- A share or a progress ratio: between 0 and 1 inclusive, or NULL (no denominator). Fails with
    the rows outside [0, 1]. -#}
{% test between_zero_and_one(model, column_name) %}
select *
from {{ model }}
where {{ column_name }} < 0 or {{ column_name }} > 1
{% endtest %}
