{#- A rate or share lies between 0 and 1 (NULL allowed: no denominator). -#}
{% test between_zero_and_one(model, column_name) %}
select {{ column_name }} from {{ model }}
where {{ column_name }} < 0 or {{ column_name }} > 1
{% endtest %}
