{#- A count shown beyond the state team: NULL when it is a small cell, between 1 and
    min_cell_size - 1 (DOMAIN.md 5; federal files print such cells as x). Zero is shown. -#}
{% macro suppress_count(column) -%}
    case when {{ is_small_cell(column) }} then null else {{ column }} end
{%- endmacro %}
