-- The October-December count of parentally placed private-school children with
-- disabilities (34 CFR 300.133(c)). The fall count of school year Y-(Y+1) sets the
-- obligation of federal fiscal year Y+1.
select
    _submission_id as submission_id,
    _source_row as source_row,
    lea_id,
    school_year,
    cast(left(school_year, 4) as integer) as fall_year,
    cast(left(school_year, 4) as integer) + 1 as fiscal_year,
    count_date,
    student_id,
    birth_date,
    {{ age_on('birth_date', 'count_date') }} as age_on_count_date,
    upper(private_school_id) as private_school_id,
    private_school_nonprofit,
    elementary_or_secondary,
    home_schooled,
    upper(resident_state) as resident_state,
    {{ standard_code('disability_category') }} as disability_category,
    has_services_plan,
    -- the federal demographics and, for a child aged 3 through 5 not in kindergarten, the
    -- early-childhood environment of the services plan (EDFacts FS002/FS089)
    {{ standard_code('race_ethnicity') }} as race_ethnicity,
    {{ standard_code('sex') }} as sex,
    english_learner,
    {{ standard_code('educational_environment') }} as educational_environment
from {{ source('raw', 'ppps_count') }}
