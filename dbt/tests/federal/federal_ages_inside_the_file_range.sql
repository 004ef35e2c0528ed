-- EDFacts edit check: every child's age is one the file permits: FS002 AGE05K and 6 through 21,
-- FS089 3, 4 and AGE05NOTK (docs/rules/federal_reporting.md). Lists the children outside.
{{ config(severity='warn') }}
select
    lea_id,
    school_year,
    collection,
    file_spec,
    age
from {{ ref('fct_federal_children') }}
where
    (
        file_spec = 'FS002'
        and age not in (
            'AGE05K', '6', '7', '8', '9', '10', '11', '12', '13', '14', '15', '16', '17', '18',
            '19', '20', '21'
        )
    )
    or (file_spec = 'FS089' and age not in ('3', '4', 'AGE05NOTK'))
