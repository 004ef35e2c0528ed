-- Educational environments for audiences beyond the state team, small cells suppressed
-- (DOMAIN.md 5). Shares are suppressed with their cell or when the age group is small.
select
    lea_id,
    school_year,
    age_group,
    educational_environment,
    {{ suppress_count('students') }} as students,
    {{ suppress_rate('share', 'students', 'age_group_students') }} as share,
    {{ suppress_count('age_group_students') }} as age_group_students
from {{ ref('fct_lre_environments') }}
