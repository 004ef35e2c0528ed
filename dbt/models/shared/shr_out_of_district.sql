-- Out-of-district figures for audiences beyond the state team: fct_out_of_district with the
-- figures shr_suppression hides (small cells, and complementary ones so that nothing hidden
-- can be worked back from this table and shr_lre_environments together). A rate is hidden
-- when its numerator or its denominator is; the state rates are shown unless the year has a
-- single LEA with something hidden.
with hidden as (
    select
        lea_id,
        school_year,
        bool_or(figure = 'students') as students,
        bool_or(figure = 'ood_students') as ood,
        bool_or(figure = 'indicator_5c_students') as five_c,
        bool_or(figure = 'age_group_students' and age_group = '6-21') as school_age,
        bool_or(figure = 'other_school_age_students') as other_school_age
    from {{ ref('shr_suppression') }}
    group by lea_id, school_year
),

flags as (
    select
        f.*,
        coalesce(h.students, false) as students_hidden,
        coalesce(h.ood, false) as ood_hidden,
        coalesce(h.five_c or h.school_age or h.other_school_age, false) as five_c_hidden,
        coalesce(s.students or s.ood, false) as state_ood_hidden,
        coalesce(s.five_c or s.school_age, false) as state_five_c_hidden
    from {{ ref('fct_out_of_district') }} as f
    left join hidden as h on f.lea_id = h.lea_id and f.school_year = h.school_year
    left join hidden as s on s.lea_id = 'STATE' and f.school_year = s.school_year
)

select
    lea_id,
    school_year,
    case when not students_hidden then students end as students,
    case when not ood_hidden then ood_students end as ood_students,
    case when not (ood_hidden or students_hidden) then ood_rate end as ood_rate,
    case when not five_c_hidden then indicator_5c_rate end as indicator_5c_rate,
    case when not state_ood_hidden then state_ood_rate end as state_ood_rate,
    case when not state_five_c_hidden then state_indicator_5c_rate end
        as state_indicator_5c_rate,
    students_hidden or ood_hidden or five_c_hidden as has_suppressed_cells
from flags
