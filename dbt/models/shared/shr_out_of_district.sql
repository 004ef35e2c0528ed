-- Out-of-district figures for audiences beyond the state team (districts, auditors, public):
-- small cells and rates on small denominators suppressed (DOMAIN.md 5, var min_cell_size).
select
    lea_id,
    school_year,
    {{ suppress_count('students') }} as students,
    {{ suppress_count('ood_students') }} as ood_students,
    {{ suppress_rate('ood_rate', 'ood_students', 'students') }} as ood_rate,
    {{ suppress_rate('indicator_5c_rate', 'indicator_5c_students', 'school_age_students') }}
        as indicator_5c_rate,
    state_ood_rate,
    state_indicator_5c_rate,
    (students > 0 and students < {{ var('min_cell_size') }})
    or (ood_students > 0 and ood_students < {{ var('min_cell_size') }}) as has_suppressed_cells
from {{ ref('fct_out_of_district') }}
