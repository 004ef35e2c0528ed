{#- (lea_id, school_year) of every submission in force for a collection, with or without rows,
    plus any key that has rows: a file submitted empty is a count of zero, not a missing one.
    Only the LEAs an incremental build recomputes, when the calling model is incremental. -#}
{% macro submitted_keys(collection, staging_model) -%}
    select lea_id, period as school_year
    from {{ ref('stg_submissions') }}
    where collection = '{{ collection }}' and in_force and {{ only_changed_leas() }}
    union
    select distinct lea_id, school_year from {{ ref(staging_model) }}
    where {{ only_changed_leas() }}
{%- endmacro %}
