{#- The last day of the one carryover year of FY funds: September 30 two years after the fiscal
    year (34 CFR 300.133(a)(3)). After it, an unmet share is a finding. -#}
{% macro carryover_end(fy) -%} make_date(cast({{ fy }} as integer) + 2, 9, 30) {%- endmacro %}
