{#- A row-level rule between columns of one model, written as a SQL boolean expression that every
    row must satisfy. A row where the expression is false or NULL fails, so write NULL handling
    into the expression. Fails with the offending rows. -#}
{% test expression_is_true(model, expression) %}
select *
from {{ model }}
where not coalesce(({{ expression }}), false)
{% endtest %}
