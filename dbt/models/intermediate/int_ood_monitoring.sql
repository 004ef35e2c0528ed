-- Each out-of-district student on a roster with what the monitoring log shows for them that
-- school year. Only monitoring by district staff or a contracted monitor counts; parents and
-- the placement's own staff never do (603 CMR 28.06(3)(b)).
with ood as (
    select
        lea_id,
        school_year,
        student_id,
        facility_id,
        placement_type,
        monitoring_plan_on_file
    from {{ ref('stg_placements') }}
    where is_out_of_district and {{ only_changed_leas() }}
),

activity as (
    select
        lea_id,
        school_year,
        student_id,
        count(*) filter (where is_countable_monitor) as countable_activities,
        count(*) filter (where is_countable_monitor and activity_type = 'SITE_VISIT')
            as countable_site_visits,
        count(*) filter (where not is_countable_monitor) as noncountable_activities
    from {{ ref('stg_monitoring_log') }}
    where
        {{ only_changed_leas() }}
        and activity_date between make_date(cast(left(school_year, 4) as integer), 7, 1)
        and make_date(cast(left(school_year, 4) as integer) + 1, 6, 30)
    group by lea_id, school_year, student_id
)

select
    o.lea_id,
    o.school_year,
    o.student_id,
    o.facility_id,
    o.placement_type,
    coalesce(o.monitoring_plan_on_file, false) as has_plan,
    coalesce(a.countable_activities, 0) as countable_activities,
    coalesce(a.countable_site_visits, 0) as countable_site_visits,
    coalesce(a.noncountable_activities, 0) as noncountable_activities
from ood as o
left join activity as a using (lea_id, school_year, student_id)
