{#- Pre-hook of a per-LEA incremental model: drop the rows of the LEAs this build recomputes,
    so rows that no longer exist (a fiscal year or flag that went away) go too; the model's
    select then appends the LEAs' new rows. Nothing to do on a full build. -#}
{% macro delete_changed_leas() -%}
    {%- if is_incremental() -%}
        delete from {{ this }}
        where lea_id in (select lea_id from {{ source('raw', 'build_scope') }})
    {%- endif -%}
{%- endmacro %}
