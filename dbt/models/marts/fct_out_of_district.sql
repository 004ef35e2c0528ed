-- Out-of-district placements per LEA and school year (DOMAIN.md 3): the LEA that placed a
-- student stays responsible and counts them. ood_rate = out-of-district students / students
-- on the roster; indicator_5c_rate is the SPP/APR Indicator 5C analogue, (SS + RF + HH) /
-- school-age students. The state's rates are given on every row for comparison.
with roster as (
    select
        p.*,
        f.approved as facility_approved
    from {{ ref('stg_placements') }} as p
    left join {{ ref('dim_facility') }} as f using (facility_id)
),

by_lea as (
    select
        lea_id,
        school_year,
        count(*) as students,
        count(*) filter (where is_out_of_district) as ood_students,
        count(*) filter (where placement_type = 'OTHER_DISTRICT') as other_district,
        count(*) filter (where placement_type = 'COLLABORATIVE') as collaborative,
        count(*) filter (where placement_type = 'APPROVED_PRIVATE_DAY') as approved_private_day,
        count(*) filter (where placement_type = 'APPROVED_PRIVATE_RESIDENTIAL')
            as approved_private_residential,
        count(*) filter (where placement_type = 'UNAPPROVED_PRIVATE') as unapproved_private,
        count(*) filter (where placement_type = 'OUT_OF_STATE') as out_of_state,
        count(*) filter (where placement_type = 'STATE_FACILITY') as state_facility,
        count(
            *) filter (
            where is_out_of_district and facility_approved
            and placement_type <> 'UNAPPROVED_PRIVATE'
        ) as in_approved_programs,
        count(*) filter (where is_out_of_district and (
            placement_type = 'UNAPPROVED_PRIVATE'
            or facility_approved = false
        )) as in_unapproved_programs,
        count(*) filter (where is_out_of_district and placement_type <> 'OUT_OF_STATE')
            as ood_in_state,
        count(*) filter (where age_group = '6-21') as school_age_students,
        count(
            *) filter (
            where age_group = '6-21'
            and educational_environment in ('SS', 'RF', 'HH')
        ) as indicator_5c_students
    from roster
    group by lea_id, school_year
)

select
    *,
    ood_students / students as ood_rate,
    case
        when school_age_students > 0
            then indicator_5c_students / school_age_students
    end as indicator_5c_rate,
    sum(ood_students) over (partition by school_year)
    / sum(students) over (partition by school_year) as state_ood_rate,
    sum(indicator_5c_students) over (partition by school_year)
    / nullif(sum(school_age_students) over (partition by school_year), 0)
        as state_indicator_5c_rate
from by_lea
