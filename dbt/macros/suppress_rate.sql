{#- A rate shown beyond the state team: NULL when its denominator is below min_cell_size, or
    when its numerator is a suppressed cell (it could be worked back from the rate). -#}
{% macro suppress_rate(rate, numerator, denominator) -%}
    case when {{ denominator }} < {{ var('min_cell_size') }} then null
         when {{ numerator }} > 0 and {{ numerator }} < {{ var('min_cell_size') }} then null
         else {{ rate }} end
{%- endmacro %}
