-- Placement counts per LEA and school year from the roster in force: the per-student work
-- behind fct_out_of_district, kept per LEA so a new roster recomputes only its LEA
-- (sped/warehouse/build_scope.py).
with roster as (
    select
        p.*,
        f.approved as facility_approved
    from {{ ref('stg_placements') }} as p
    left join {{ ref('stg_facilities') }} as f using (facility_id)
    where {{ only_changed_leas('p.lea_id') }}
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

select * from by_lea
