-- Parentally placed private-school children counted toward proportionate share, per LEA and
-- count (34 CFR 300.133(a)-(c)). Every ppps_count row is an eligible child in a private school
-- located in the reporting LEA (out-of-state residents included). A child counts when the
-- school is nonprofit (a home-schooled child only where the state counts them, var
-- count_home_schooled), and a 3-5 year old only when the school is an elementary school.
-- A child listed twice counts once. Ages are actual ages on the count date.
with children as (
    select
        lea_id,
        school_year,
        fiscal_year,
        count_date,
        student_id,
        age_on_count_date as age,
        case
            when home_schooled then {{ var('count_home_schooled') }}
            else private_school_nonprofit
        end
        and (age_on_count_date >= 6 or elementary_or_secondary) as counts
    from {{ ref('stg_ppps_count') }}
)

select
    lea_id,
    school_year,
    fiscal_year,
    min(count_date) as count_date,
    count(*) as ppps_rows,
    count(distinct student_id) filter (where counts and age between 3 and 21) as ppps_count_3_21,
    count(distinct student_id) filter (where counts and age between 3 and 5) as ppps_count_3_5
from children
group by lea_id, school_year, fiscal_year
