-- Students by educational environment (EDFacts FS002 school age / FS089 early childhood) per
-- LEA, school year and age group, with each environment's share of the age group; the state
-- totals are rows with lea_id = 'STATE'. Out-of-district students count in the LEA that placed
-- them ("fiscally responsible regardless of where educated").
with by_lea as (
    select * from {{ ref('int_lre_by_lea') }}
),

state as (
    select
        'STATE' as lea_id,
        school_year,
        age_group,
        educational_environment,
        sum(students) as students
    from by_lea
    group by all
),

combined as (
    select * from by_lea
    union all
    select * from state
)

select
    lea_id,
    school_year,
    age_group,
    educational_environment,
    students,
    students / sum(students) over (partition by lea_id, school_year, age_group) as share,
    sum(students) over (partition by lea_id, school_year, age_group) as age_group_students
from combined
