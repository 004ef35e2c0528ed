{#- True when a count is a small cell: between 1 and min_cell_size - 1 (DOMAIN.md 5). Zero is
    not a small cell. -#}
{% macro is_small_cell(expression) -%}
    (({{ expression }}) > 0 and ({{ expression }}) < {{ var('min_cell_size') }})
{%- endmacro %}
