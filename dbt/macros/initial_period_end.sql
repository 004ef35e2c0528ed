{#- The last day of the initial period of FY funds: September 30 of the next year
    (34 CFR 300.133(a)(3)). -#}
{% macro initial_period_end(fy) -%} make_date(cast({{ fy }} as integer) + 1, 9, 30) {%- endmacro %}
