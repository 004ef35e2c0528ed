-- Out-of-district figures for audiences beyond the state team (districts, auditors, public):
-- small cells and rates on small denominators suppressed (DOMAIN.md 5, var min_cell_size).
-- A shown total and a shown part give the other part: the out-of-district count is hidden
-- when either it or the in-district remainder (students - ood_students) is a small cell, and
-- each rate likewise when its numerator or the rest of its denominator is (complementary
-- suppression).
with marked as (
    select
        *,
        {{ is_small_cell('ood_students') }}
        or {{ is_small_cell('students - ood_students') }} as ood_hidden,
        {{ is_small_cell('indicator_5c_students') }}
        or {{ is_small_cell('school_age_students - indicator_5c_students') }}
        or school_age_students < {{ var('min_cell_size') }} as indicator_5c_hidden
    from {{ ref('fct_out_of_district') }}
)

select
    lea_id,
    school_year,
    {{ suppress_count('students') }} as students,
    case
        when not ood_hidden and students >= {{ var('min_cell_size') }} then ood_students
    end as ood_students,
    case when not ood_hidden and students >= {{ var('min_cell_size') }} then ood_rate end
        as ood_rate,
    case when not indicator_5c_hidden then indicator_5c_rate end as indicator_5c_rate,
    state_ood_rate,
    state_indicator_5c_rate,
    {{ is_small_cell('students') }} or ood_hidden or indicator_5c_hidden as has_suppressed_cells
from marked
