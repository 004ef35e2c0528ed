-- Child find for parentally placed private-school children (34 CFR 300.131).
select
    _submission_id as submission_id,
    _source_row as source_row,
    lea_id,
    school_year,
    student_id,
    upper(private_school_id) as private_school_id,
    upper(resident_state) as resident_state,
    referral_date,
    consent_date,
    {{ standard_code('evaluation_type') }} as evaluation_type,
    evaluation_date,
    {{ standard_code('eligibility') }} as eligibility,
    services_plan_date,
    date_diff('day', consent_date, evaluation_date) as days_consent_to_evaluation
from {{ source('raw', 'child_find') }}
