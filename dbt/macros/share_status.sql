{#- Where an LEA stands against its required share, judged as of var as_of
    (34 CFR 300.133(a)(3)): NO_OBLIGATION (nothing required), MET (the initial period's
    spending covers it), OPEN (not yet, but the initial period runs), MET_WITH_CARRYOVER,
    CARRYOVER_OPEN (not yet, the carryover year runs), NOT_MET (the carryover year is over).
    NULL where the required amount is unknown. -#}
{% macro share_status(required, initial, carryover, fy) -%}
    case
        when {{ required }} is null then null
        when {{ required }} = 0 then 'NO_OBLIGATION'
        when {{ initial }} >= {{ required }} then 'MET'
        when date '{{ var("as_of") }}' <= {{ initial_period_end(fy) }} then 'OPEN'
        when {{ initial }} + {{ carryover }} >= {{ required }} then 'MET_WITH_CARRYOVER'
        when date '{{ var("as_of") }}' <= {{ carryover_end(fy) }} then 'CARRYOVER_OPEN'
        else 'NOT_MET'
    end
{%- endmacro %}
