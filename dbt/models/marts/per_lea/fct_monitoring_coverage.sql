-- Monitoring coverage of out-of-district students per LEA and school year (603 CMR
-- 28.06(3)(b)): the district must keep a monitoring plan and document monitoring, including
-- site visits, for every student it places out of district. A student is fully covered with a
-- plan and at least one countable activity (district staff or contracted monitor) in the year.
select
    lea_id,
    school_year,
    count(*) as ood_students,
    count(*) filter (where has_plan) as with_plan,
    count(*) filter (where countable_activities > 0) as with_countable_activity,
    count(*) filter (where countable_site_visits > 0) as with_site_visit,
    count(*) filter (where countable_activities = 0 and noncountable_activities > 0)
        as only_noncountable_activity,
    count(*) filter (where has_plan and countable_activities > 0) as fully_covered,
    count(*) filter (where has_plan and countable_activities > 0) / count(*) as coverage_rate
from {{ ref('int_ood_monitoring') }}
where {{ only_changed_leas() }}
group by lea_id, school_year
