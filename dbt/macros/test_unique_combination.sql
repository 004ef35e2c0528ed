{#- A row key made of several columns is unique (as dbt_utils.unique_combination_of_columns does,
    without installing a package). -#}
{% test unique_combination(model, columns) %}
select {{ columns | join(', ') }}, count(*) as n
from {{ model }}
group by {{ columns | join(', ') }}
having count(*) > 1
{% endtest %}
