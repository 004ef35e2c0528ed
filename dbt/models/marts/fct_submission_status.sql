-- Which LEA has a submission in force for which collection and period, and which are missing.
-- Expected: a placement roster from every LEA for every school year the state collects; a PPPS
-- count and a child-find log from every LEA with a private school located in it (300.131-133);
-- a monitoring log from every LEA with out-of-district students on its roster.
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
    select distinct
        lea_id,
        school_year as period
    from {{ ref('stg_placements') }}
    where is_out_of_district
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
        max(received_at) filter (where in_force) as in_force_received_at
    from district_submissions
    group by lea_id, collection, period
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
)

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
    case
        when r.in_force_submission_id is not null then 'IN_FORCE'
        when r.submissions_received > 0 then 'NONE_ACCEPTED'
        else 'MISSING'
    end as submission_status
from keys as k
left join expected as e using (lea_id, collection, period)
left join received as r using (lea_id, collection, period)
