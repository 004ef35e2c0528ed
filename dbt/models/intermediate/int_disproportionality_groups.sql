-- The groups of significant disproportionality (34 CFR 300.647(b)(2)-(4);
-- docs/rules/disproportionality.md): one row per LEA, school year, category and race/ethnicity
-- (the seven EDFacts codes), for every LEA and year whose roster is in force, with the group's
-- count and total. Identification (ID_*): the children aged 3 through 21 with IEPs on the
-- roster, over the race's `enrolled` in the state's enrollment file; placement (PL_*): the
-- children aged 6 through 21 with IEPs in the environments, over every child of the race aged
-- 6 through 21 with an IEP. A group no child is counted in has a count of 0. Kept per LEA.
with keys as (
    {{ submitted_keys('placements', 'stg_placements') }}
),

categories as (
    select * from (
        values
        ('ID_ALL', 'identification'),
        ('ID_ID', 'identification'),
        ('ID_SLD', 'identification'),
        ('ID_EMN', 'identification'),
        ('ID_SLI', 'identification'),
        ('ID_OHI', 'identification'),
        ('ID_AUT', 'identification'),
        ('PL_RC39', 'placement'),
        ('PL_SEPARATE', 'placement')
    ) as c (category, kind)
),

races as (
    select * from (
        values ('AM7'), ('AS7'), ('BL7'), ('HI7'), ('MU7'), ('PI7'), ('WH7')
    ) as r (race_ethnicity)
),

children as (
    select * from {{ ref('int_disproportionality_children_by_lea') }}
    where {{ only_changed_leas() }}
),

-- the state's enrollment file: children aged 3 through 21 enrolled, per LEA and race
enrolled as (
    select
        lea_id,
        school_year,
        race_ethnicity,
        sum(enrolled) as enrolled
    from {{ ref('stg_enrollment') }}
    where {{ only_changed_leas() }}
    group by all
),

final as (
    select
        k.lea_id,
        k.school_year,
        c.category,
        r.race_ethnicity,
        cast(coalesce(n.children, 0) as bigint) as group_count,
        cast(
            case
                when c.kind = 'identification' then coalesce(e.enrolled, 0)
                else coalesce(p.children, 0)
            end as bigint
        ) as group_total
    from keys as k
    cross join categories as c
    cross join races as r
    left join children as n
        on
            k.lea_id = n.lea_id
            and k.school_year = n.school_year
            and c.category = n.category
            and r.race_ethnicity = n.race_ethnicity
    left join children as p
        on
            k.lea_id = p.lea_id
            and k.school_year = p.school_year
            and p.category = 'PL_POPULATION'
            and r.race_ethnicity = p.race_ethnicity
    left join enrolled as e
        on
            k.lea_id = e.lea_id
            and k.school_year = e.school_year
            and r.race_ethnicity = e.race_ethnicity
)

select * from final
