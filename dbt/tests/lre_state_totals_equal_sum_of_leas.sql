-- Post-build check: the STATE rows of fct_lre_environments are the sum of the LEA rows.
with leas as (
    select
        school_year,
        age_group,
        educational_environment,
        sum(students) as students
    from {{ ref('fct_lre_environments') }}
    where lea_id <> 'STATE'
    group by all
)

select l.*
from leas as l
full join (
    select * from {{ ref('fct_lre_environments') }}
    where lea_id = 'STATE'
) as s
    using (school_year, age_group, educational_environment)
where l.students is distinct from s.students
