{#- In a per-LEA incremental model, the condition that keeps only the LEAs this build
    recomputes (raw.build_scope, planned by sped/warehouse/build_scope.py); on a full build,
    every LEA. Pair with the delete_changed_leas pre-hook. -#}
{% macro only_changed_leas(column='lea_id') -%}
    {%- if is_incremental() -%}
        {{ column }} in (select lea_id from {{ source('raw', 'build_scope') }})
    {%- else -%}
        true
    {%- endif -%}
{%- endmacro %}
