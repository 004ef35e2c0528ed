-- One row per finding a state monitor would follow up, per student, LEA and school year.
-- Holds student identifiers: for the state team and the student's own district only.
with roster as (
    select
        p.*,
        f.approved as facility_approved,
        f.approval_expires
    from {{ ref('stg_placements') }} as p
    left join {{ ref('dim_facility') }} as f using (facility_id)
    where {{ only_changed_leas('p.lea_id') }}
),

monitoring as (
    select * from {{ ref('int_ood_monitoring') }}
    where {{ only_changed_leas() }}
),

flags as (
    select
        lea_id,
        school_year,
        student_id,
        'PRIVATE_PLACEMENT_WITHOUT_CONTRACT' as flag,
        '603 CMR 28.06(3)(f)' as rule,
        placement_type as detail
    from roster
    where
        placement_type in (
            'APPROVED_PRIVATE_DAY', 'APPROVED_PRIVATE_RESIDENTIAL',
            'UNAPPROVED_PRIVATE', 'OUT_OF_STATE'
        )
        and contract_on_file is not true
    union all
    select
        lea_id,
        school_year,
        student_id,
        'OUT_OF_DISTRICT_WITHOUT_MONITORING_PLAN',
        '603 CMR 28.06(3)(b)',
        placement_type
    from monitoring
    where not has_plan
    union all
    select
        lea_id,
        school_year,
        student_id,
        'OUT_OF_DISTRICT_WITHOUT_COUNTABLE_MONITORING',
        '603 CMR 28.06(3)(b)',
        case
            when noncountable_activities > 0 then 'only parent or placement-staff activity'
            else 'no monitoring activity'
        end
    from monitoring
    where countable_activities = 0
    union all
    select
        lea_id,
        school_year,
        student_id,
        'TRANSPORT_OVER_60_MINUTES_WITHOUT_TEAM_APPROVAL',
        '603 CMR 28.06(8)(a)',
        cast(transport_minutes_one_way as varchar) || ' minutes'
    from roster
    where transport_minutes_one_way > 60 and transport_team_approved is not true
    union all
    select
        lea_id,
        school_year,
        student_id,
        'RESIDENTIAL_WITHOUT_RETURN_CRITERIA',
        '34 CFR 300.104 (residential placement at public expense)',
        placement_type
    from roster
    where
        (placement_type = 'APPROVED_PRIVATE_RESIDENTIAL' or educational_environment = 'RF')
        and return_criteria_documented is not true
    union all
    select
        lea_id,
        school_year,
        student_id,
        'LOW_TWNDP_WITHOUT_LRE_CHECKLIST',
        '34 CFR 300.114-300.116 (state LRE checklist)',
        cast(twndp_pct as varchar) || '% with nondisabled peers'
    from roster
    where twndp_pct <= 40 and lre_checklist_on_file is not true
    union all
    select
        lea_id,
        school_year,
        student_id,
        'UNAPPROVED_PROGRAM',
        '603 CMR 28.06(3)(d)-(e)',
        case
            when placement_type = 'UNAPPROVED_PRIVATE' then 'unapproved private program'
            when facility_approved = false then 'facility not approved'
            else 'approval expired ' || cast(approval_expires as varchar)
        end
    from roster
    where
        is_out_of_district
        and (
            placement_type = 'UNAPPROVED_PRIVATE' or facility_approved = false
            or (placement_type like 'APPROVED_PRIVATE%' and approval_expires < count_date)
        )
)

select * from flags
