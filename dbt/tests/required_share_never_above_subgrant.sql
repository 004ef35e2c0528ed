-- Post-build check: a proportionate share is a part of the subgrant, never more
-- (34 CFR 300.133(a)).
select
    lea_id,
    fiscal_year
from {{ ref('fct_proportionate_share') }}
where required_611 > subgrant_611 or required_619 > subgrant_619
