-- Each LEA's total 611(f) and 619(g) subgrant, before any CEIS reservation (300.133(a)).
select
    _submission_id as submission_id,
    _source_row as source_row,
    lea_id,
    cast(fiscal_year as integer) as fiscal_year,
    idea_611_subgrant,
    idea_619_subgrant
from {{ source('raw', 'allocations') }}
