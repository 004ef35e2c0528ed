-- Post-build check: placement-type counts add up to the out-of-district students.
select
    lea_id,
    school_year
from {{ ref('fct_out_of_district') }}
where
    other_district + collaborative + approved_private_day + approved_private_residential
    + unapproved_private + out_of_state + state_facility <> ood_students
    or ood_in_state + out_of_state <> ood_students
