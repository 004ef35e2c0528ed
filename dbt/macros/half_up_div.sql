{#- Integer division of non-negative integers rounded half-up: (2n + d) // (2d). -#}
{% macro half_up_div(numerator, denominator) -%}
    ((2 * cast({{ numerator }} as hugeint) + cast({{ denominator }} as hugeint))
      // (2 * cast({{ denominator }} as hugeint)))
{%- endmacro %}
