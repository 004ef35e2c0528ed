{#- Integer cents as DECIMAL(18,2) dollars, exactly (multiplication keeps DECIMAL in DuckDB;
    division would turn it into DOUBLE). -#}
{% macro cents_to_dollars(cents) -%}
    (cast({{ cents }} as decimal(18, 0)) * cast(0.01 as decimal(3, 2)))
{%- endmacro %}
