-- EDFacts edit check: no child is counted twice in an LEA's count of a school year (the same
-- identifier twice on its roster in force, or on its count of parentally placed children).
{{ config(severity='warn') }}
select
    lea_id,
    school_year,
    collection,
    count(*) as records
from {{ ref('fct_federal_children') }}
group by lea_id, school_year, collection, student_id
having count(*) > 1
