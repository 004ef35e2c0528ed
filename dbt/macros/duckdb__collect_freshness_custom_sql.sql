{#- dbt's freshness query for a source with a loaded_at_query, as dbt's default writes it, but
    measured at the run's as-of date (freshness_snapshot_at) instead of the clock. -#}
{% macro duckdb__collect_freshness_custom_sql(source, loaded_at_query) %}
  {% call statement('collect_freshness_custom_sql', fetch_result=True, auto_begin=False) -%}
  with source_query as (
    {{ loaded_at_query }}
  )
  select
    (select * from source_query) as max_loaded_at,
    {{ freshness_snapshot_at() }} as snapshotted_at
  {% endcall %}
  {{ return(load_result('collect_freshness_custom_sql')) }}
{% endmacro %}
