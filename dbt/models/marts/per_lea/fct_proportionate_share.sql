-- Each LEA's proportionate share of its IDEA subgrants for parentally placed private-school
-- children, per federal fiscal year, and how its spending stands against it (34 CFR 300.133).
-- One row per LEA and fiscal year that has an allocation, a PPPS count or IDEA spending
-- reported (spending for a year with neither is shown, never dropped, and flagged in
-- fct_compliance_flags). Figures whose inputs were not submitted are NULL with missing_reason;
-- never a silent zero. A count submitted with zero children counted makes the share exactly
-- zero whatever the roster or subgrant: 0.00 and NO_OBLIGATION, even when those are missing
-- (missing_reason still names them). With no count and no private school located in the LEA
-- the count is zero too, from the directory, but the share still needs its other inputs.
-- Spending in the carryover year includes what next year's grant paid toward this year's
-- share, where the state allows it (spent_*_next_grant; docs/rules/proportionate_share.md).
-- Incremental per LEA: no figure here depends on another LEA (sped/warehouse/build_scope.py).
with keys as (
    select
        lea_id,
        fiscal_year
    from {{ ref('stg_allocations') }}
    where {{ only_changed_leas() }}
    union
    select
        lea_id,
        fiscal_year
    from {{ ref('int_ppps_counts') }}
    where {{ only_changed_leas() }}
    union
    select
        lea_id,
        fiscal_year
    from {{ ref('int_equitable_spending') }}
    where {{ only_changed_leas() }}
),

private_schools as (
    select
        lea_id,
        count(*) as located
    from {{ ref('stg_private_schools') }}
    group by lea_id
),

joined as (
    select
        k.lea_id,
        k.fiscal_year,
        coalesce(
            p.school_year, u.school_year,
            cast(k.fiscal_year - 1 as varchar) || '-'
            || right(cast(k.fiscal_year as varchar), 2)
        ) as count_school_year,
        p.count_date,
        -- No count and no private school located in the LEA: zero children, from the directory.
        case
            when p.lea_id is not null then 'SUBMITTED'
            when coalesce(ps.located, 0) = 0 then 'NO_PRIVATE_SCHOOL_LOCATED'
        end as ppps_count_source,
        case
            when p.lea_id is null and coalesce(ps.located, 0) = 0 then 0
            else p.ppps_count_3_21
        end as ppps_count_3_21,
        u.public_count_3_21,
        case
            when p.lea_id is null and coalesce(ps.located, 0) = 0 then 0
            else p.ppps_count_3_5
        end as ppps_count_3_5,
        u.public_count_3_5,
        a.idea_611_subgrant as subgrant_611,
        a.idea_619_subgrant as subgrant_619,
        coalesce(s.spent_611_initial, 0) as spent_611_initial,
        coalesce(s.spent_611_carryover, 0) as spent_611_carryover,
        coalesce(s.spent_619_initial, 0) as spent_619_initial,
        coalesce(s.spent_619_carryover, 0) as spent_619_carryover,
        coalesce(s.spent_611_next_grant, 0) as spent_611_next_grant,
        coalesce(s.spent_619_next_grant, 0) as spent_619_next_grant,
        nullif(concat_ws(
            '; ',
            case
                when p.lea_id is null and coalesce(ps.located, 0) > 0
                    then 'no PPPS count submitted'
            end,
            case when u.lea_id is null then 'no placement roster submitted' end,
            case when a.lea_id is null then 'no allocation loaded' end
        ), '') as missing_reason
    from keys as k  -- the LEAs this build recomputes; the joined inputs are small tables
    left join {{ ref('int_ppps_counts') }} as p using (lea_id, fiscal_year)
    left join {{ ref('int_public_counts') }} as u using (lea_id, fiscal_year)
    left join {{ ref('stg_allocations') }} as a using (lea_id, fiscal_year)
    left join {{ ref('int_equitable_spending') }} as s using (lea_id, fiscal_year)
    left join private_schools as ps on ps.lea_id = k.lea_id
),

required as (
    select
        *,
        -- zero children counted: subgrant * 0 / (public + 0) is 0 whatever the subgrant and
        -- the roster
        case
            when ppps_count_source = 'SUBMITTED' and ppps_count_3_21 = 0
                then {{ cents_to_dollars(0) }}
            when missing_reason is null then {{ cents_to_dollars(proportionate_share_cents(
                'subgrant_611', 'public_count_3_21', 'ppps_count_3_21')) }}
        end as required_611,
        case
            when ppps_count_source = 'SUBMITTED' and ppps_count_3_21 = 0
                then {{ cents_to_dollars(0) }}
            when missing_reason is null then {{ cents_to_dollars(proportionate_share_cents(
                'subgrant_619', 'public_count_3_5', 'ppps_count_3_5')) }}
        end as required_619
    from joined
)

select
    lea_id,
    fiscal_year,
    count_school_year,
    count_date,
    ppps_count_source,
    ppps_count_3_21,
    public_count_3_21,
    ppps_count_3_5,
    public_count_3_5,
    subgrant_611,
    subgrant_619,
    required_611,
    required_619,
    spent_611_initial,
    spent_611_carryover,
    spent_619_initial,
    spent_619_carryover,
    spent_611_next_grant,
    spent_619_next_grant,
    -- greatest() skips NULLs in DuckDB: an unknown requirement must stay an unknown shortfall
    case
        when required_611 is not null
            then greatest(required_611 - spent_611_initial - spent_611_carryover, 0)
    end as shortfall_611,
    case
        when required_619 is not null
            then greatest(required_619 - spent_619_initial - spent_619_carryover, 0)
    end as shortfall_619,
    {{ share_status('required_611', 'spent_611_initial', 'spent_611_carryover', 'fiscal_year') }}
        as status_611,
    {{ share_status('required_619', 'spent_619_initial', 'spent_619_carryover', 'fiscal_year') }}
        as status_619,
    {{ initial_period_end('fiscal_year') }} as initial_period_ends,
    {{ carryover_end('fiscal_year') }} as carryover_ends,
    date '{{ var("as_of") }}' as judged_as_of,
    missing_reason
from required
