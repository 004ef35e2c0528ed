-- The children with IEPs counted for significant disproportionality (34 CFR 300.647(b)(3)-(4);
-- docs/rules/disproportionality.md) per LEA, school year, race/ethnicity and category, from the
-- roster in force: identification (ID_ALL and by disability ID_ID, ID_SLD, ID_EMN, ID_SLI,
-- ID_OHI, ID_AUT) counts the children aged 3 through 21 on the count date; placement (PL_RC39,
-- inside the regular class less than 40% of the day; PL_SEPARATE, separate schools and
-- residential facilities) counts the children aged 6 through 21, and PL_POPULATION every child
-- aged 6 through 21 whatever the environment (the placement categories' denominator). A child
-- without a race/ethnicity (files of years before the federal demographics) is in no group.
-- Kept per LEA so a new roster recomputes only its LEA.
with roster as (
    select
        lea_id,
        school_year,
        race_ethnicity,
        disability_category,
        educational_environment,
        age_on_count_date
    from {{ ref('stg_placements') }}
    where
        {{ only_changed_leas() }}
        and race_ethnicity in ('AM7', 'AS7', 'BL7', 'HI7', 'MU7', 'PI7', 'WH7')
        and age_on_count_date between 3 and 21
),

categories as (
    select
        r.lea_id,
        r.school_year,
        r.race_ethnicity,
        c.category
    from roster as r
    inner join (
        values
        ('ID_ALL', null, null, 3),
        ('ID_ID', 'ID', null, 3),
        ('ID_SLD', 'SLD', null, 3),
        ('ID_EMN', 'EMN', null, 3),
        ('ID_SLI', 'SLI', null, 3),
        ('ID_OHI', 'OHI', null, 3),
        ('ID_AUT', 'AUT', null, 3),
        ('PL_RC39', null, 'RC39', 6),
        ('PL_SEPARATE', null, 'SS', 6),
        ('PL_SEPARATE', null, 'RF', 6),
        ('PL_POPULATION', null, null, 6)
    ) as c (category, disability_category, educational_environment, min_age)
        on
            r.age_on_count_date >= c.min_age
            and (c.disability_category is null or r.disability_category = c.disability_category)
            and (
                c.educational_environment is null
                or r.educational_environment = c.educational_environment
            )
)

select
    lea_id,
    school_year,
    race_ethnicity,
    category,
    count(*) as children
from categories
group by all
