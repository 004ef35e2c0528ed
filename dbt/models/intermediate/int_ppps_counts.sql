-- Parentally placed private-school children counted toward proportionate share, per LEA and
-- count (34 CFR 300.133(a)-(c)). Every ppps_count row is an eligible child in a private school
-- located in the reporting LEA (out-of-state residents included). A child counts when the
-- school is nonprofit (a home-schooled child only where the state counts them, var
-- count_home_schooled), and a 3-5 year old only when the school is an elementary school.
-- A child listed twice counts once. Ages are actual ages on the count date. A count submitted
-- with no children is a count of zero, not a missing count.
with submitted as (
    {{ submitted_keys('ppps_count', 'stg_ppps_count') }}
),

children as (
    select
        lea_id,
        school_year,
        count_date,
        student_id,
        age_on_count_date as age,
        case
            when home_schooled then {{ var('count_home_schooled') }}
            else private_school_nonprofit
        end
        and (age_on_count_date >= 6 or elementary_or_secondary) as counts
    from {{ ref('stg_ppps_count') }}
    where {{ only_changed_leas() }}
),

counted as (
    select
        lea_id,
        school_year,
        min(count_date) as count_date,
        count(*) as ppps_rows,
        count(distinct student_id) filter (where counts and age between 3 and 21)
            as ppps_count_3_21,
        count(distinct student_id) filter (where counts and age between 3 and 5)
            as ppps_count_3_5
    from children
    group by lea_id, school_year
)

select
    s.lea_id,
    s.school_year,
    cast(left(s.school_year, 4) as integer) + 1 as fiscal_year,
    c.count_date,
    coalesce(c.ppps_rows, 0) as ppps_rows,
    coalesce(c.ppps_count_3_21, 0) as ppps_count_3_21,
    coalesce(c.ppps_count_3_5, 0) as ppps_count_3_5
from submitted as s
left join counted as c using (lea_id, school_year)
