-- Children aged 3 through 21 enrolled in each LEA on the count date, by EDFacts
-- race/ethnicity, as the state loaded them (one file per school year).
select
    _submission_id as submission_id,
    _source_row as source_row,
    trim(lea_id) as lea_id,
    school_year,
    {{ standard_code('race_ethnicity') }} as race_ethnicity,
    enrolled
from {{ source('raw', 'enrollment') }}
