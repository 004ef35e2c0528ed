-- The placement roster in force, one row per student per LEA and school year, with the
-- student's age on the count date and federal age group (FS002 school age: 6-21, and 5 in
-- kindergarten; FS089 early childhood: 3-5 not in kindergarten).
with source as (
    select * from {{ source('raw', 'placements') }}
),

standardised as (
    select
        _submission_id as submission_id,
        _source_row as source_row,
        trim(lea_id) as lea_id,
        school_year,
        count_date,
        trim(student_id) as student_id,
        birth_date,
        {{ standard_code('grade_level') }} as grade_level,
        {{ standard_code('disability_category') }} as disability_category,
        {{ standard_code('educational_environment') }} as educational_environment,
        {{ standard_code('placement_type') }} as placement_type,
        nullif(trim(facility_id), '') as facility_id,
        upper(nullif(trim(facility_state), '')) as facility_state,
        placement_start_date,
        twndp_pct,
        lre_checklist_on_file,
        contract_on_file,
        monitoring_plan_on_file,
        transport_minutes_one_way,
        transport_team_approved,
        return_criteria_documented,
        annual_tuition,
        -- the federal demographics (EDFacts FS002/FS089); NULL on rows of files sent before
        -- the profile's first federal year that left them out
        {{ standard_code('race_ethnicity') }} as race_ethnicity,
        {{ standard_code('sex') }} as sex,
        english_learner,
        -- whole years on the count date; age 3 on the 3rd birthday (docs/rules/placements_and_lre.md)
        {{ age_on('birth_date', 'count_date') }} as age_on_count_date
    from source
)

select
    submission_id,
    source_row,
    lea_id,
    school_year,
    cast(left(school_year, 4) as integer) as fall_year,
    count_date,
    student_id,
    birth_date,
    age_on_count_date,
    case
        when age_on_count_date >= 6 or (age_on_count_date = 5 and grade_level = 'KG') then '6-21'
        else '3-5'
    end as age_group,
    grade_level,
    disability_category,
    educational_environment,
    placement_type,
    placement_type <> 'IN_DISTRICT' as is_out_of_district,
    facility_id,
    facility_state,
    placement_start_date,
    twndp_pct,
    lre_checklist_on_file,
    contract_on_file,
    monitoring_plan_on_file,
    transport_minutes_one_way,
    transport_team_approved,
    return_criteria_documented,
    annual_tuition,
    race_ethnicity,
    sex,
    english_learner
from standardised
