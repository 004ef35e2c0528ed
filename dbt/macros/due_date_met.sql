{#- Source freshness against the state profile's due dates (var due_dates): the due date that
    the latest file received for `collection` met, as a timestamp. A file received on or before
    a year's due date meets it, one received after meets the next year's. dbt source freshness
    compares it with the run's as-of date (freshness_snapshot_at): stale (warn) once a year has passed since that due date, so the next
    one went by with nothing received; an error a month later. Receipt times come from the
    registry mirror raw.submissions (every file received, whatever its outcome). -#}
{% macro due_date_met(collection) -%}
{%- set due = var('due_dates')[collection] -%}
select make_date(
    year(max(received_at))
    + case when strftime(max(received_at), '%m-%d') > '{{ '%02d-%02d' % (due['month'], due['day']) }}' then 1 else 0 end,
    {{ due['month'] }}, {{ due['day'] }}
)::timestamp
from {{ source('raw', 'submissions') }}
where collection = '{{ collection }}'
{%- endmacro %}
