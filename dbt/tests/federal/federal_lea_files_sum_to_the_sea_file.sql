-- EDFacts edit check: the LEA file's records summed over the LEAs equal the SEA file's, record
-- by record (docs/rules/federal_reporting.md). Lists each record that differs.
{{ config(severity='warn') }}
with keyed as (
    select
        reporting_level,
        students,
        concat_ws(
            '|',
            school_year,
            file_spec,
            category_set,
            coalesce(race_ethnicity, '-'),
            coalesce(sex, '-'),
            coalesce(disability_category, '-'),
            coalesce(age, '-'),
            coalesce(educational_environment, '-'),
            coalesce(english_learner, '-')
        ) as record
    from {{ ref('fct_federal_category_sets') }}
),

leas as (
    select
        record,
        sum(students) as students
    from keyed
    where reporting_level = 'LEA'
    group by record
),

sea as (
    select
        record,
        students
    from keyed
    where reporting_level = 'SEA'
)

select
    coalesce(l.record, s.record) as record,
    l.students as lea_students,
    s.students as sea_students
from leas as l
full join sea as s on l.record = s.record
where l.students is distinct from s.students
