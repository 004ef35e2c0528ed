{#- The first day FY funds are available: July 1 of the fiscal year (34 CFR 300.133(a)(3);
    docs/rules/proportionate_share.md). -#}
{% macro grant_start(fy) -%} make_date(cast({{ fy }} as integer), 7, 1) {%- endmacro %}
