-- Children with disabilities on each LEA's public child count (its placement roster,
-- including the children it placed out of district), ages 3-21 and 3-5 on the count date.
-- The fall count of school year Y-(Y+1) sets the obligation of fiscal year Y+1.
select
    lea_id,
    school_year,
    fall_year + 1 as fiscal_year,
    min(count_date) as count_date,
    count(distinct student_id) filter (where age_on_count_date between 3 and 21)
        as public_count_3_21,
    count(distinct student_id) filter (where age_on_count_date between 3 and 5)
        as public_count_3_5
from {{ ref('stg_placements') }}
group by lea_id, school_year, fall_year
