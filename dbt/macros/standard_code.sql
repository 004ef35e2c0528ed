{#- A code as the contracts spell it: trimmed, upper-case, blank as NULL. The loader already
    stores codes upper-case (sped.ingest.typing); staging repeats it so every model downstream
    can compare codes with `=` whatever reached raw. -#}
{% macro standard_code(column) -%}
    upper(nullif(trim({{ column }}), ''))
{%- endmacro %}
