-- The records of the EDFacts child-count files (FS002, FS089; docs/rules/federal_reporting.md):
-- per school year, file and reporting level (SEA: the state; LEA: each LEA), one row per
-- combination of category values of each category set (CSA...), subtotal (ST1...) and the
-- education unit total (TOT), with the number of children. Only combinations with children
-- are kept. Never suppressed: the files go to the U.S. Department of Education.
--
-- Built per LEA: an incremental build recomputes the LEA records of the changed LEAs only (the
-- pre-hook deletes them, and every SEA record), then the SEA records again as the sums of the
-- LEA records over the LEAs (each child is counted in one LEA: the SEA file's record is the sum
-- of the LEA files' records, as the EDFacts edit check federal_lea_files_sum_to_the_sea_file
-- says; federal_totals_equal_the_rosters checks the SEA totals against the rosters).
{{ config(
    materialized='incremental',
    incremental_strategy='append',
    on_schema_change='fail',
    pre_hook=[
        "{{ delete_changed_leas() }}",
        "{% if is_incremental() %}delete from {{ this }} where reporting_level = 'SEA'{% endif %}"
    ]
) }}

with children as (
    select * from {{ ref('fct_federal_children') }}
    where {{ only_changed_leas() }}
),

changed_leas as (
    {{ federal_category_set_records('children', levels=['LEA']) }}
),

lea_records as (
    select * from changed_leas
    {% if is_incremental() -%}
        union all
        select * from {{ this }}
        where reporting_level = 'LEA'
    {%- endif %}
),

sea_records as (
    select
        school_year,
        file_spec,
        'SEA' as reporting_level,
        cast(null as varchar) as lea_id,
        category_set,
        race_ethnicity,
        sex,
        disability_category,
        age,
        educational_environment,
        english_learner,
        cast(sum(students) as bigint) as students
    from lea_records
    group by all
)

select * from changed_leas
union all
select * from sea_records
