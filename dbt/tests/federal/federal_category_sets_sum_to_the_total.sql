-- EDFacts edit check: every category set and subtotal of a file sums to its education unit
-- total (docs/rules/federal_reporting.md). Lists each set that does not.
{{ config(severity='warn') }}
with sets as (
    select
        school_year,
        file_spec,
        reporting_level,
        lea_id,
        category_set,
        sum(students) as students
    from {{ ref('fct_federal_category_sets') }}
    group by all
)

select
    s.school_year,
    s.file_spec,
    s.reporting_level,
    s.lea_id,
    s.category_set,
    s.students,
    t.students as education_unit_total
from sets as s
left join sets as t
    on
        s.school_year = t.school_year
        and s.file_spec = t.file_spec
        and s.reporting_level = t.reporting_level
        and s.lea_id is not distinct from t.lea_id
        and t.category_set = 'TOT'
where s.students is distinct from t.students
