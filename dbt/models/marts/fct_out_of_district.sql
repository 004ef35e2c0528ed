-- Out-of-district placements per LEA and school year (docs/rules/placements_and_lre.md): the LEA that placed a
-- student stays responsible and counts them. ood_rate = out-of-district students / students
-- on the roster; indicator_5c_rate is the SPP/APR Indicator 5C analogue, (SS + RF + HH) /
-- school-age students. The state's rates are given on every row for comparison.
with by_lea as (
    select * from {{ ref('int_placements_by_lea') }}
)

select
    *,
    ood_students / students as ood_rate,
    case
        when school_age_students > 0
            then indicator_5c_students / school_age_students
    end as indicator_5c_rate,
    sum(ood_students) over (partition by school_year)
    / sum(students) over (partition by school_year) as state_ood_rate,
    sum(indicator_5c_students) over (partition by school_year)
    / nullif(sum(school_age_students) over (partition by school_year), 0)
        as state_indicator_5c_rate
from by_lea
