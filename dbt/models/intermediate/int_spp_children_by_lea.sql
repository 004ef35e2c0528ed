-- The children of SPP/APR Indicators 5 and 6 per LEA, school year and educational environment
-- (docs/rules/spp_indicators.md): Indicator 5 is the children of FS002, aged 5 in kindergarten
-- or 6 through 21 on the count date, from the roster plus the parentally placed children with
-- a services plan (environment PPPS); Indicator 6 is the children of FS089, the other children
-- aged 3 through 5, from the roster. The roster's age groups are stg_placements' own (as in
-- fct_lre_environments), so the indicators count exactly the children of the environment
-- tables. Kept per LEA so a new file recomputes only its LEA.
with roster as (
    select
        lea_id,
        school_year,
        case
            when age_on_count_date not between 3 and 21 then null  -- outside IDEA Part B ages
            when age_group = '6-21' then '5'
            when age_group = '3-5' then '6'
        end as indicator_population,
        educational_environment,
        student_id
    from {{ ref('stg_placements') }}
    where {{ only_changed_leas() }}
),

-- ppps_count carries no grade level: a parentally placed 5-year-old cannot be known to be in
-- kindergarten, so only ages 6 through 21 join Indicator 5 (docs/rules/spp_indicators.md)
ppps as (
    select
        lea_id,
        school_year,
        '5' as indicator_population,
        'PPPS' as educational_environment,
        student_id
    from {{ ref('stg_ppps_count') }}
    where
        {{ only_changed_leas() }}
        and has_services_plan
        and age_on_count_date between 6 and 21
)

select
    lea_id,
    school_year,
    indicator_population,
    educational_environment,
    count(*) as children
from roster
where indicator_population is not null
group by all
union all
select
    lea_id,
    school_year,
    indicator_population,
    educational_environment,
    count(distinct student_id) as children
from ppps
group by all
