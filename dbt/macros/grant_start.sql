{#- The first day FY funds are available: July 1 of the fiscal year (34 CFR 300.133(a)(3);
    DOMAIN.md 1). -#}
{% macro grant_start(fy) -%} make_date(cast({{ fy }} as integer), 7, 1) {%- endmacro %}
