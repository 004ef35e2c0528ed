-- Children with disabilities on each LEA's public child count (its placement roster,
-- including the children it placed out of district), ages 3-21 and 3-5 on the count date.
-- The fall count of school year Y-(Y+1) sets the obligation of fiscal year Y+1. A roster
-- submitted with no students counts zero, not missing.
with submitted as (
    {{ submitted_keys('placements', 'stg_placements') }}
),

counted as (
    select
        lea_id,
        school_year,
        min(count_date) as count_date,
        count(distinct student_id) filter (where age_on_count_date between 3 and 21)
            as public_count_3_21,
        count(distinct student_id) filter (where age_on_count_date between 3 and 5)
            as public_count_3_5
    from {{ ref('stg_placements') }}
    where {{ only_changed_leas() }}
    group by lea_id, school_year
)

select
    s.lea_id,
    s.school_year,
    cast(left(s.school_year, 4) as integer) + 1 as fiscal_year,
    c.count_date,
    coalesce(c.public_count_3_21, 0) as public_count_3_21,
    coalesce(c.public_count_3_5, 0) as public_count_3_5
from submitted as s
left join counted as c using (lea_id, school_year)
