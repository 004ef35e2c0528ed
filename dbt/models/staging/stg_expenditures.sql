-- Equitable-services obligations by the fiscal year of the grant charged.
select
    _submission_id as submission_id,
    _source_row as source_row,
    lea_id,
    cast(fiscal_year as integer) as fiscal_year,
    expenditure_id,
    {{ standard_code('fund_source') }} as fund_source,
    {{ standard_code('category') }} as category,
    amount,
    obligation_date
from {{ source('raw', 'expenditures') }}
