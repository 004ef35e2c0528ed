{#- The "now" of dbt source freshness: the run's as-of date (var as_of), not the clock, so a
    historical as-of run gives the same answer on any day. dbt takes a source's age as
    snapshotted_at minus max_loaded_at; this project's overrides of dbt's freshness macros for
    DuckDB (duckdb__collect_freshness_custom_sql, duckdb__collect_freshness: dbt looks for a
    dispatched dbt macro in the root project first) select this as snapshotted_at. With the
    due dates' loaded_at_query (due_date_met), a collection's age is the as-of date minus the due
    date its latest file met. Without an as_of var (never the case in sped's own calls), the
    clock, as dbt's own macros have it. -#}
{% macro freshness_snapshot_at() -%}
{%- set as_of = var('as_of', none) -%}
{%- if as_of -%}
cast('{{ as_of }}' as date)::timestamp
{%- else -%}
{{ current_timestamp() }}
{%- endif -%}
{%- endmacro %}
