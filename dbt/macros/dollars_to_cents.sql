{#- A DECIMAL dollar amount as exact integer cents. -#}
{% macro dollars_to_cents(amount) -%}
    cast({{ amount }} * 100 as hugeint)
{%- endmacro %}
