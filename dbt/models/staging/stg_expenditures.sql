-- Equitable-services obligations by the fiscal year of the grant charged, and the fiscal year
-- whose share each pays when not its own (docs/rules/proportionate_share.md).
select
    _submission_id as submission_id,
    _source_row as source_row,
    lea_id,
    cast(fiscal_year as integer) as fiscal_year,
    expenditure_id,
    {{ standard_code('fund_source') }} as fund_source,
    {{ standard_code('category') }} as category,
    amount,
    obligation_date,
    cast(applies_to_fiscal_year as integer) as applies_to_fiscal_year
from {{ source('raw', 'expenditures') }}
