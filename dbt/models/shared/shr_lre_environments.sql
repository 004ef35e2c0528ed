-- Educational environments for audiences beyond the state team: fct_lre_environments with the
-- figures shr_suppression hides (small cells, and complementary ones so that nothing hidden
-- can be worked back from this table and shr_out_of_district together). A share is hidden
-- with its cell or its age group.
with cells as (
    select * from {{ ref('shr_suppression') }}
    where figure = 'environment_students'
),

age_groups as (
    select * from {{ ref('shr_suppression') }}
    where figure = 'age_group_students'
)

select
    f.lea_id,
    f.school_year,
    f.age_group,
    f.educational_environment,
    case when c.suppressed is null then f.students end as students,
    case when c.suppressed is null and g.suppressed is null then f.share end as share,
    case when g.suppressed is null then f.age_group_students end as age_group_students,
    c.suppressed,
    g.suppressed as age_group_suppressed
from {{ ref('fct_lre_environments') }} as f
left join cells as c
    on
        f.lea_id = c.lea_id
        and f.school_year = c.school_year
        and f.age_group = c.age_group
        and f.educational_environment is not distinct from c.educational_environment
left join age_groups as g
    on
        f.lea_id = g.lea_id
        and f.school_year = g.school_year
        and f.age_group = g.age_group
