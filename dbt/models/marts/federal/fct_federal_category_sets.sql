-- The records of the EDFacts child-count files (FS002, FS089; docs/rules/federal_reporting.md):
-- per school year, file and reporting level (SEA: the state; LEA: each LEA), one row per
-- combination of category values of each category set (CSA...), subtotal (ST1...) and the
-- education unit total (TOT), with the number of children. Only combinations with children
-- are kept. Never suppressed: the files go to the U.S. Department of Education.
with children as (
    select * from {{ ref('fct_federal_children') }}
)

{{ federal_category_set_records('children') }}
