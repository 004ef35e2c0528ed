-- The national (and every state's) distribution of students with disabilities across
-- educational environments from the federal 618 file, all disabilities together, per age group
-- (school age FS002, early childhood FS089), in the codes fct_lre_environments uses. Children
-- parentally placed in private schools are left out: they are on no district's roster, so the
-- state's own distribution has no such category, and shares are of the rest.
with environments as (
    select *
    from {{ ref('stg_national_environments') }}
    where
        disability_category = 'All Disabilities'
        and educational_environment not in ('TOTAL', 'PPPS')
)

select
    state_name,
    is_national_total,
    school_year,
    age_group,
    educational_environment,
    environment_label,
    students,
    cell_marker,
    sum(students) over by_group as age_group_students,
    count(cell_marker) over by_group = 0 as age_group_complete,
    case
        when count(cell_marker) over by_group = 0
            then cast(students as double) / sum(students) over by_group
    end as share,
    'U.S. Department of Education, OSEP, IDEA Section 618 Part B Child Count and Educational '
    || 'Environments, SY ' || school_year || ', state-level file' as source
from environments
window by_group as (partition by state_name, school_year, age_group)
