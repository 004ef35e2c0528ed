-- Spending that counts toward proportionate share, per LEA, fiscal year and fund, split into
-- the initial period and the carryover year (34 CFR 300.133(a)(3)). Only federal IDEA funds of
-- the grant year count (state and local funds supplement, never supplant: 34 CFR 300.133(d));
-- child find and evaluations never count (300.131(d)); transportation does (300.139(b));
-- obligations after the carryover year, or after the as-of date, do not.
-- One row per LEA and fiscal year with any IDEA 611 or 619 expenditure obligated by the as-of
-- date, counting or not: IDEA funds reported spent for a year are always shown
-- (fct_proportionate_share), and flagged when no allocation is on file (fct_compliance_flags).
with spending as (
    select
        lea_id,
        fiscal_year,
        fund_source,
        amount,
        category <> 'CHILD_FIND_EVALUATION' as counts,
        case
            when
                obligation_date between {{ grant_start('fiscal_year') }}
                and {{ initial_period_end('fiscal_year') }} then 'initial'
            when
                obligation_date > {{ initial_period_end('fiscal_year') }}
                and obligation_date <= {{ carryover_end('fiscal_year') }} then 'carryover'
        end as period
    from {{ ref('stg_expenditures') }}
    where
        {{ only_changed_leas() }}
        and fund_source in ('IDEA_611', 'IDEA_619')
        and obligation_date <= date '{{ var("as_of") }}'
)

select
    lea_id,
    fiscal_year,
    coalesce(
        sum(amount) filter (where fund_source = 'IDEA_611' and counts and period = 'initial'), 0
    ) as spent_611_initial,
    coalesce(
        sum(amount) filter (where fund_source = 'IDEA_611' and counts and period = 'carryover'),
        0
    ) as spent_611_carryover,
    coalesce(
        sum(amount) filter (where fund_source = 'IDEA_619' and counts and period = 'initial'), 0
    ) as spent_619_initial,
    coalesce(
        sum(amount) filter (where fund_source = 'IDEA_619' and counts and period = 'carryover'),
        0
    ) as spent_619_carryover,
    coalesce(sum(amount) filter (where fund_source = 'IDEA_611'), 0) as reported_611,
    coalesce(sum(amount) filter (where fund_source = 'IDEA_619'), 0) as reported_619
from spending
group by lea_id, fiscal_year
