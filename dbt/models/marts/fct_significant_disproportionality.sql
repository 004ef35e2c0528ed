-- Significant disproportionality based on race and ethnicity in identification and placement
-- (34 CFR 300.646-647; docs/rules/disproportionality.md), one row per LEA, school year,
-- category and race/ethnicity (the seven EDFacts codes). An LEA and year have rows when the
-- LEA's roster is in force for the year. risk = group_count / group_total; the comparison group
-- is every other child of the LEA (the other six races), the risk ratio the group's risk over
-- the comparison group's (300.647(a)(6)); when the LEA's comparison group is under the minimum
-- cell size or n-size, the alternate risk ratio compares the group's risk with the risk of
-- every other child in the state (300.647(a)(1), (b)(5)). A group under the minimum cell size
-- or n-size is not analysed (300.647(c)(1)), nor one whose state comparison group is under them
-- (300.647(c)(2)). Risks and ratios are unrounded.
with standards as (
    select
        cast({{ var('disproportionality')['risk_ratio_threshold'] }} as double) as threshold,
        {{ var('disproportionality')['min_cell_size'] }} as min_cell_size,
        {{ var('disproportionality')['min_n_size'] }} as min_n_size,
        {{ var('disproportionality')['consecutive_years'] }} as years_for_significance
),

groups as (
    select
        *,
        cast(left(school_year, 4) as integer) as fall_year
    from {{ ref('int_disproportionality_groups') }}
),

-- every child of the LEA, and of the state (all LEAs), and of the state's race, per category
totals as (
    select
        *,
        sum(group_count) over (partition by lea_id, school_year, category) as lea_count,
        sum(group_total) over (partition by lea_id, school_year, category) as lea_total,
        sum(group_count) over (partition by school_year, category) as state_count,
        sum(group_total) over (partition by school_year, category) as state_total,
        sum(group_count)
            over (partition by school_year, category, race_ethnicity)
            as state_race_count,
        sum(group_total)
            over (partition by school_year, category, race_ethnicity)
            as state_race_total
    from groups
),

comparisons as (
    select
        t.lea_id,
        t.school_year,
        t.fall_year,
        t.category,
        t.race_ethnicity,
        t.group_count,
        t.group_total,
        t.lea_count - t.group_count as lea_comparison_count,
        t.lea_total - t.group_total as lea_comparison_total,
        t.state_count - t.state_race_count as state_comparison_count,
        t.state_total - t.state_race_total as state_comparison_total,
        s.threshold,
        s.years_for_significance,
        t.group_count >= s.min_cell_size and t.group_total >= s.min_n_size as group_meets,
        t.lea_count - t.group_count >= s.min_cell_size
        and t.lea_total - t.group_total >= s.min_n_size as lea_comparison_meets,
        t.state_count - t.state_race_count >= s.min_cell_size
        and t.state_total - t.state_race_total >= s.min_n_size as state_comparison_meets
    from totals as t
    cross join standards as s
),

ratios as (
    select
        lea_id,
        school_year,
        fall_year,
        category,
        race_ethnicity,
        group_count,
        group_total,
        threshold,
        years_for_significance,
        case
            when group_meets and lea_comparison_meets then 'RR'
            when group_meets and state_comparison_meets then 'ARR'
        end as ratio_kind,
        cast(
            case
                when group_meets and not lea_comparison_meets and state_comparison_meets
                    then state_comparison_count
                else lea_comparison_count
            end as bigint
        ) as comparison_count,
        cast(
            case
                when group_meets and not lea_comparison_meets and state_comparison_meets
                    then state_comparison_total
                else lea_comparison_total
            end as bigint
        ) as comparison_total
    from comparisons
),

figures as (
    select
        *,
        case
            when group_total > 0 then cast(group_count as double) / group_total
        end as risk,
        case
            when comparison_total > 0 then cast(comparison_count as double) / comparison_total
        end as comparison_risk,
        -- (group_count / group_total) / (comparison_count / comparison_total), as one division
        -- of whole numbers: a ratio exactly at the threshold is exactly at it
        case
            when ratio_kind is not null
                then
                    cast(group_count * comparison_total as double)
                    / cast(group_total * comparison_count as double)
        end as risk_ratio
    from ratios
),

flagged as (
    select
        *,
        risk_ratio > threshold as exceeds_threshold
    from figures
),

-- runs of consecutive school years over the threshold: within a group's exceeding years, the
-- fall year minus its rank is constant along a run and changes at a gap
runs as (
    select
        *,
        case
            when exceeds_threshold
                then
                    fall_year
                    - row_number() over (
                        partition by lea_id, category, race_ethnicity, exceeds_threshold
                        order by fall_year
                    )
        end as run_id
    from flagged
),

counted as (
    select
        *,
        case
            when exceeds_threshold
                then
                    row_number() over (
                        partition by lea_id, category, race_ethnicity, exceeds_threshold, run_id
                        order by fall_year
                    )
            when not exceeds_threshold then 0
        end as consecutive_years
    from runs
)

select
    lea_id,
    school_year,
    category,
    race_ethnicity,
    group_count,
    group_total,
    comparison_count,
    comparison_total,
    risk,
    comparison_risk,
    risk_ratio,
    ratio_kind,
    threshold as risk_ratio_threshold,
    exceeds_threshold,
    cast(consecutive_years as integer) as consecutive_years,
    consecutive_years >= years_for_significance as significant
from counted
