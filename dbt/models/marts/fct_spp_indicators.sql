-- SPP/APR Indicators 5 and 6 per LEA and school year, and for the state (lea_id = 'STATE'),
-- with the state's targets (docs/rules/spp_indicators.md; OSEP Part B indicator measurement
-- table). Each indicator's numerator is the children of its population in its environments,
-- its denominator every child of the population, whatever the environment; percent is
-- numerator / denominator x 100, unrounded. An LEA and year have rows when the LEA's roster is
-- in force for the year; its parentally placed children join them.
with keys as (
    {{ submitted_keys('placements', 'stg_placements') }}
),

children as (
    select * from {{ ref('int_spp_children_by_lea') }}
),

definitions as (
    select * from (
        values
        ('5A', '5', 'RC80'),
        ('5B', '5', 'RC39'),
        ('5C', '5', 'SS'),
        ('5C', '5', 'RF'),
        ('5C', '5', 'HH'),
        ('6A', '6', 'REC10YSVCS'),
        ('6A', '6', 'REC09YSVCS'),
        ('6B', '6', 'SC'),
        ('6B', '6', 'SS'),
        ('6B', '6', 'RF'),
        ('6C', '6', 'H')
    ) as d (indicator, indicator_population, educational_environment)
),

indicators as (
    select distinct
        indicator,
        indicator_population
    from definitions
),

numerators as (
    select
        c.lea_id,
        c.school_year,
        d.indicator,
        sum(c.children) as numerator
    from children as c
    inner join definitions as d
        on
            c.indicator_population = d.indicator_population
            and c.educational_environment = d.educational_environment
    group by all
),

denominators as (
    select
        lea_id,
        school_year,
        indicator_population,
        sum(children) as denominator
    from children
    group by all
),

by_lea as (
    select
        k.lea_id,
        k.school_year,
        i.indicator,
        cast(coalesce(n.numerator, 0) as bigint) as numerator,
        cast(coalesce(dn.denominator, 0) as bigint) as denominator
    from keys as k
    cross join indicators as i
    left join numerators as n
        on k.lea_id = n.lea_id and k.school_year = n.school_year and i.indicator = n.indicator
    left join denominators as dn
        on
            k.lea_id = dn.lea_id
            and k.school_year = dn.school_year
            and i.indicator_population = dn.indicator_population
),

state as (
    select
        'STATE' as lea_id,
        school_year,
        indicator,
        cast(sum(numerator) as bigint) as numerator,
        cast(sum(denominator) as bigint) as denominator
    from by_lea
    group by all
),

combined as (
    select * from by_lea
    union all
    select * from state
),

-- the state profile's targets (var spp_targets, a list of {indicator, school_year, target,
-- direction}), read as JSON so that an empty list is a table of no rows
targets as (
    select
        unnest(
            from_json(
                '{{ var("spp_targets") | tojson }}',
                '[{"indicator": "VARCHAR", "school_year": "VARCHAR", "target": "DOUBLE", "direction": "VARCHAR"}]'
            ),
            recursive := true
        )
),

figures as (
    select
        c.lea_id,
        c.school_year,
        c.indicator,
        c.numerator,
        c.denominator,
        case
            when c.denominator > 0 then cast(c.numerator as double) * 100 / c.denominator
        end as percent,
        t.target,
        t.direction as target_direction
    from combined as c
    left join targets as t on c.indicator = t.indicator and c.school_year = t.school_year
)

select
    lea_id,
    school_year,
    indicator,
    numerator,
    denominator,
    percent,
    target,
    target_direction,
    case
        when target_direction = 'at_least' then percent >= target
        when target_direction = 'at_most' then percent <= target
    end as meets_target
from figures
