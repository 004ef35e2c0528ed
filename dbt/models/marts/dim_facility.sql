-- One row per facility students may be placed in.
select
    facility_id,
    facility_name,
    facility_type,
    state,
    state <> '{{ var("home_state") }}' as is_out_of_state,
    approved,
    approval_expires
from {{ ref('stg_facilities') }}
