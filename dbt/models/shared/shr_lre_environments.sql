-- Educational environments for audiences beyond the state team, small cells suppressed
-- (DOMAIN.md 5). Within each LEA, school year and age group the environments add up to the
-- age group's total, so one suppressed cell could be worked back from the total and the
-- others: complementary suppression hides the next smallest cells too, until at least two
-- cells are hidden and together they hold at least min_cell_size students (two hidden cells
-- of 1 would otherwise both be known). Shares are hidden with their cell or a small age group.
with cells as (
    select
        *,
        count(*) filter (
            where students > 0 and students < {{ var('min_cell_size') }}
        ) over age_group_cells as small_cells,
        row_number() over by_size as size_rank,
        sum(students) over (by_size rows between unbounded preceding and current row)
            as students_up_to_here
    from {{ ref('fct_lre_environments') }}
    window
        age_group_cells as (partition by lea_id, school_year, age_group),
        by_size as (
            partition by lea_id, school_year, age_group
            order by students, educational_environment
        )
),

hidden_up_to as (
    select
        lea_id,
        school_year,
        age_group,
        any_value(small_cells) as small_cells,
        coalesce(
            min(size_rank) filter (
                where
                size_rank >= greatest(small_cells, 2)
                and students_up_to_here >= {{ var('min_cell_size') }}
            ),
            max(size_rank)
        ) as last_hidden_rank
    from cells
    group by lea_id, school_year, age_group
),

marked as (
    select
        c.*,
        case
            when c.students > 0 and c.students < {{ var('min_cell_size') }} then 'SMALL_CELL'
            when h.small_cells > 0 and c.size_rank <= h.last_hidden_rank then 'COMPLEMENTARY'
        end as suppressed
    from cells as c
    inner join hidden_up_to as h using (lea_id, school_year, age_group)
)

select
    lea_id,
    school_year,
    age_group,
    educational_environment,
    case when suppressed is null then students end as students,
    case
        when suppressed is null and age_group_students >= {{ var('min_cell_size') }} then share
    end as share,
    {{ suppress_count('age_group_students') }} as age_group_students,
    suppressed
from marked
