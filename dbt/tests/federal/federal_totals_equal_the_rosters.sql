-- EDFacts edit check: each LEA's education unit totals (FS002 and FS089 together) equal the
-- children on its accepted roster on the count date and its parentally placed children with a
-- services plan (docs/rules/federal_reporting.md). Lists each LEA and year that differs.
{{ config(severity='warn', meta={'dagster': {'ref': {'name': 'fct_federal_category_sets'}}}) }}
-- A singular test on two models becomes a Dagster asset check only when meta.dagster.ref names
-- the asset it checks (dagster-dbt attaches one on a single model by itself, and logs an
-- observation for the rest): the files' totals, checked against the rosters.
with files as (
    select
        school_year,
        lea_id,
        sum(students) as students
    from {{ ref('fct_federal_category_sets') }}
    where reporting_level = 'LEA' and category_set = 'TOT'
    group by all
),

counted as (
    -- one row per child on an accepted roster on the count date, or parentally placed with a
    -- services plan (the rosters in force as fct_federal_children takes them from staging)
    select
        school_year,
        lea_id
    from {{ ref('fct_federal_children') }}
),

rosters as (
    select
        school_year,
        lea_id,
        count(*) as students
    from counted
    group by all
)

select
    coalesce(f.school_year, r.school_year) as school_year,
    coalesce(f.lea_id, r.lea_id) as lea_id,
    f.students as in_the_files,
    r.students as on_the_rosters
from files as f
full join rosters as r on f.school_year = r.school_year and f.lea_id = r.lea_id
where f.students is distinct from r.students
