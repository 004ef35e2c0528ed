-- Spending that counts toward proportionate share, per LEA, fiscal year and fund, split into
-- the initial period and the carryover year (34 CFR 300.133(a)(3)). Only federal IDEA funds
-- count (state and local funds supplement, never supplant: 34 CFR 300.133(d)); child find and
-- evaluations never count (300.131(d)); transportation does (300.139(b)); obligations after
-- the carryover year, or after the as-of date, do not.
-- A row counts toward the share of the year it pays (share_fiscal_year): its
-- own grant year, or, where the state lets next year's grant pay a carryover obligation, the
-- year before, in that year's carryover period and never toward its own year's share
-- (docs/rules/proportionate_share.md; validation refuses every other combination).
-- One row per LEA and fiscal year with any IDEA 611 or 619 expenditure obligated by the as-of
-- date charged to that year's grant or paying that year's share, counting or not: IDEA funds
-- reported spent for a year are always shown (fct_proportionate_share), and flagged when no
-- allocation is on file (fct_compliance_flags).
with expenditures as (
    select
        *,
        cast(coalesce(applies_to_fiscal_year, fiscal_year) as integer) as share_fiscal_year,
        coalesce(applies_to_fiscal_year, fiscal_year) < fiscal_year as from_next_grant
    from {{ ref('stg_expenditures') }}
    where
        {{ only_changed_leas() }}
        and fund_source in ('IDEA_611', 'IDEA_619')
        and obligation_date <= date '{{ var("as_of") }}'
),

spending as (
    select
        lea_id,
        fiscal_year,
        share_fiscal_year,
        from_next_grant,
        fund_source,
        amount,
        category <> 'CHILD_FIND_EVALUATION' as counts,
        case
            when
                not from_next_grant
                and obligation_date between {{ grant_start('share_fiscal_year') }}
                and {{ initial_period_end('share_fiscal_year') }} then 'initial'
            when
                obligation_date > {{ initial_period_end('share_fiscal_year') }}
                and obligation_date <= {{ carryover_end('share_fiscal_year') }} then 'carryover'
        end as period
    from expenditures
),

-- toward the share of the year paid
paid as (
    select
        lea_id,
        share_fiscal_year as fiscal_year,
        coalesce(
            sum(amount) filter (where fund_source = 'IDEA_611' and counts and period = 'initial'),
            0
        ) as spent_611_initial,
        coalesce(
            sum(amount) filter (
                where fund_source = 'IDEA_611' and counts and period = 'carryover'
            ),
            0
        ) as spent_611_carryover,
        coalesce(
            sum(amount) filter (
                where fund_source = 'IDEA_611' and counts and period = 'carryover'
                and from_next_grant
            ),
            0
        ) as spent_611_next_grant,
        coalesce(
            sum(amount) filter (where fund_source = 'IDEA_619' and counts and period = 'initial'),
            0
        ) as spent_619_initial,
        coalesce(
            sum(amount) filter (
                where fund_source = 'IDEA_619' and counts and period = 'carryover'
            ),
            0
        ) as spent_619_carryover,
        coalesce(
            sum(amount) filter (
                where fund_source = 'IDEA_619' and counts and period = 'carryover'
                and from_next_grant
            ),
            0
        ) as spent_619_next_grant
    from spending
    group by lea_id, share_fiscal_year
),

-- everything charged to the year's grant
charged as (
    select
        lea_id,
        fiscal_year,
        coalesce(sum(amount) filter (where fund_source = 'IDEA_611'), 0) as reported_611,
        coalesce(sum(amount) filter (where fund_source = 'IDEA_619'), 0) as reported_619
    from spending
    group by lea_id, fiscal_year
)

select
    lea_id,
    fiscal_year,
    coalesce(p.spent_611_initial, 0) as spent_611_initial,
    coalesce(p.spent_611_carryover, 0) as spent_611_carryover,
    coalesce(p.spent_611_next_grant, 0) as spent_611_next_grant,
    coalesce(p.spent_619_initial, 0) as spent_619_initial,
    coalesce(p.spent_619_carryover, 0) as spent_619_carryover,
    coalesce(p.spent_619_next_grant, 0) as spent_619_next_grant,
    c.reported_611,
    c.reported_619
from paid as p
full outer join charged as c using (lea_id, fiscal_year)
