{#- The state's calendar day of a UTC timestamp (received times are stored in UTC; due dates
    are days in the state profile's time zone, var timezone). -#}
{% macro local_date(utc_timestamp) -%}
    cast(({{ utc_timestamp }} at time zone 'UTC') at time zone '{{ var("timezone") }}' as date)
{%- endmacro %}
