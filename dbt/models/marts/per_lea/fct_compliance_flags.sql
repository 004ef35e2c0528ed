-- One row per finding a state monitor would follow up, per student, LEA and school year, and
-- per LEA and fiscal year for findings about funds (student_id NULL).
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

-- IDEA funds reported spent for a fiscal year with no allocation on file (34 CFR 300.133,
-- 300.705): usually a wrong fiscal year on the district's file, or an allocation not yet loaded.
spending_without_allocation as (
    select
        e.lea_id,
        e.fiscal_year,
        e.reported_611,
        e.reported_619
    from {{ ref('int_equitable_spending') }} as e
    left join {{ ref('stg_allocations') }} as a
        on e.lea_id = a.lea_id and e.fiscal_year = a.fiscal_year
    where
        {{ only_changed_leas('e.lea_id') }} and a.lea_id is null
        -- funds charged to the year's grant (not only next year's paying its share)
        and e.reported_611 is not null
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
    union all
    select
        lea_id,
        -- the school year whose fall count sets the fiscal year's obligation, as in
        -- fct_proportionate_share.count_school_year
        cast(fiscal_year - 1 as varchar) || '-' || right(cast(fiscal_year as varchar), 2),
        null,
        'IDEA_SPENDING_WITHOUT_ALLOCATION',
        '34 CFR 300.133; 300.705',
        'FY ' || cast(fiscal_year as varchar) || ': IDEA 611 '
        || cast(reported_611 as varchar) || ' and IDEA 619 '
        || cast(reported_619 as varchar)
        || ' reported spent with no allocation on file (a wrong fiscal year on the file,'
        || ' or an allocation not yet loaded?)'
    from spending_without_allocation
)

select * from flags
