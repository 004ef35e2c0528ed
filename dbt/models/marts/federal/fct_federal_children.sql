-- Every child in the federal child count (IDEA section 618; 34 CFR 300.640-300.646), as EDFacts
-- reports the child (docs/rules/federal_reporting.md): FS002 for school age (6 through 21, and
-- 5 in kindergarten: age AGE05K), FS089 for 3 through 5 not in kindergarten (age AGE05NOTK for
-- a 5-year-old). The roster in force, and the parentally placed children with a services plan:
-- school age under environment PPPS, early childhood under the environment of their plan.
-- Values a roster does not give (a year before the profile's first federal year) are MISSING.
-- Per LEA (each child is one LEA's): an incremental build recomputes only the changed LEAs.
{{ config(
    materialized='incremental',
    incremental_strategy='append',
    on_schema_change='fail',
    pre_hook="{{ delete_changed_leas() }}"
) }}
with roster as (
    select
        lea_id,
        school_year,
        'placements' as collection,
        student_id,
        age_group = '6-21' as school_age,
        age_on_count_date as age_years,
        disability_category,
        educational_environment,
        race_ethnicity,
        sex,
        english_learner
    from {{ ref('stg_placements') }}
    where {{ only_changed_leas() }}
),

private as (
    select
        lea_id,
        school_year,
        'ppps_count' as collection,
        student_id,
        educational_environment is null as school_age,
        age_on_count_date as age_years,
        disability_category,
        coalesce(educational_environment, 'PPPS') as educational_environment,
        race_ethnicity,
        sex,
        english_learner
    from {{ ref('stg_ppps_count') }}
    where has_services_plan and {{ only_changed_leas() }}
),

children as (
    select * from roster
    union all
    select * from private
)

select
    lea_id,
    school_year,
    collection,
    student_id,
    case when school_age then 'FS002' else 'FS089' end as file_spec,
    case
        when age_years = 5 and school_age then 'AGE05K'
        when age_years = 5 then 'AGE05NOTK'
        else cast(age_years as varchar)
    end as age,
    coalesce(disability_category, 'MISSING') as disability_category,
    coalesce(educational_environment, 'MISSING') as educational_environment,
    coalesce(race_ethnicity, 'MISSING') as race_ethnicity,
    coalesce(sex, 'MISSING') as sex,
    case
        when english_learner then 'LEP'
        when not english_learner then 'NLEP'
        else 'MISSING'
    end as english_learner
from children
