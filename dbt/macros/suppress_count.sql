{#- A count shown beyond the state team: NULL when it is between 1 and min_cell_size - 1
    (DOMAIN.md 5; federal files print such cells as x). Zero is not suppressed. -#}
{% macro suppress_count(column) -%}
    case when {{ column }} > 0 and {{ column }} < {{ var('min_cell_size') }} then null
         else {{ column }} end
{%- endmacro %}
