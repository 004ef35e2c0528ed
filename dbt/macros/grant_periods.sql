{#- The periods of FY funds (34 CFR 300.133(a)(3); DOMAIN.md 1): available July 1 of the fiscal
    year; initial period to September 30 of the next year; one carryover year to September 30
    of the year after. -#}
{% macro grant_start(fy) -%} make_date(cast({{ fy }} as integer), 7, 1) {%- endmacro %}
{% macro initial_period_end(fy) -%} make_date(cast({{ fy }} as integer) + 1, 9, 30) {%- endmacro %}
{% macro carryover_end(fy) -%} make_date(cast({{ fy }} as integer) + 2, 9, 30) {%- endmacro %}
