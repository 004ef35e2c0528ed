-- Which LEA has a submission in force for which collection and period, which are missing, and
-- which came late. Expected: a placement roster from every LEA for every school year the state
-- collects; a PPPS count and a child-find log from every LEA with a private school located in it
-- (300.131-133); a monitoring log from every LEA with out-of-district students on its roster.
-- Due dates are the state profile's (var('due_dates'): month, day, and year `fall` = the school
-- year's first calendar year or `spring` = its second), for school-year collections only.
-- Timeliness goes by the first submission ever accepted for the key (status accepted, or
-- superseded since), by the day it was received in the state's time zone (var('timezone');
-- received times are UTC), or by var('as_of') if none was accepted:
--   NOT_EXPECTED  nothing accepted and the key is not expected
--   NO_DUE_DATE   otherwise, when the collection has no due date (expenditures)
--   ON_TIME       first accepted file received on or before the due date
--   LATE          first accepted file received after the due date
--   OVERDUE       expected, nothing accepted, and as_of is after the due date
--   NOT_YET_DUE   expected, nothing accepted, and as_of is on or before the due date
with school_years as (
    select distinct period
    from {{ ref('stg_submissions') }}
    where collection in ('placements', 'monitoring_log', 'child_find', 'ppps_count')
),

leas as (
    select
        lea_id,
        private_schools_located
    from {{ ref('dim_lea') }}
),

ood_leas as (
    select
        lea_id,
        school_year as period
    from {{ ref('int_placements_by_lea') }}
    where ood_students > 0
),

expected as (
    select
        l.lea_id,
        'placements' as collection,
        y.period
    from leas as l cross join school_years as y
    union all
    select
        l.lea_id,
        c.collection,
        y.period
    from leas as l
    cross join school_years as y
    cross join (values ('ppps_count'), ('child_find')) as c (collection)
    where l.private_schools_located > 0
    union all
    select
        lea_id,
        'monitoring_log',
        period
    from ood_leas
),

district_submissions as (
    select *
    from {{ ref('stg_submissions') }}
    where lea_id is not null
),

received as (
    select
        lea_id,
        collection,
        period,
        count(*) as submissions_received,
        max(received_at) as last_received_at,
        arg_max(status, submission_id) as last_status,
        max(submission_id) filter (where in_force) as in_force_submission_id,
        max(received_at) filter (where in_force) as in_force_received_at,
        count(*) filter (
            where status in ('accepted', 'superseded')
        ) as accepted_submissions,
        min(received_at) filter (
            where status in ('accepted', 'superseded')
        ) as first_accepted_at
    from district_submissions
    group by lea_id, collection, period
),

-- the profile's due dates, one row per collection (passed as JSON so the SQL lists none)
due_dates as (
    select
        d.key as collection,
        cast(d.value ->> 'month' as integer) as due_month,
        cast(d.value ->> 'day' as integer) as due_day,
        case d.value ->> 'year' when 'spring' then 1 else 0 end as year_offset
    from json_each('{{ tojson(var("due_dates")) }}') as d
),

keys as (
    select
        lea_id,
        collection,
        period
    from expected
    union
    select
        lea_id,
        collection,
        period
    from received
),

statuses as (
    select
        k.lea_id,
        k.collection,
        k.period,
        e.lea_id is not null as expected,
        coalesce(r.submissions_received, 0) as submissions_received,
        r.last_received_at,
        r.last_status,
        r.in_force_submission_id,
        r.in_force_received_at,
        coalesce(r.accepted_submissions, 0) > 0 as ever_accepted,
        r.first_accepted_at,
        case
            when regexp_full_match(k.period, '[0-9]{4}-[0-9]{2}')
                then make_date(
                    cast(left(k.period, 4) as integer) + d.year_offset, d.due_month, d.due_day
                )
        end as due_date
    from keys as k
    left join expected as e using (lea_id, collection, period)
    left join received as r using (lea_id, collection, period)
    left join due_dates as d using (collection)
)

select
    lea_id,
    collection,
    period,
    expected,
    submissions_received,
    last_received_at,
    last_status,
    in_force_submission_id,
    in_force_received_at,
    case
        when in_force_submission_id is not null then 'IN_FORCE'
        when submissions_received > 0 then 'NONE_ACCEPTED'
        else 'MISSING'
    end as submission_status,
    due_date,
    first_accepted_at,
    case
        when not ever_accepted and not expected then 'NOT_EXPECTED'
        when due_date is null then 'NO_DUE_DATE'
        when ever_accepted and {{ local_date('first_accepted_at') }} <= due_date then 'ON_TIME'
        when ever_accepted and {{ local_date('first_accepted_at') }} > due_date then 'LATE'
        when ever_accepted then null  -- accepted, but the registry has no arrival time
        when date '{{ var("as_of") }}' > due_date then 'OVERDUE'
        else 'NOT_YET_DUE'
    end as timeliness
from statuses
