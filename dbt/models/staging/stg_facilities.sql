select
    _submission_id as submission_id,
    facility_id,
    trim(name) as facility_name,
    {{ standard_code('facility_type') }} as facility_type,
    upper(state) as state,
    approved,
    approval_expires
from {{ source('raw', 'facilities') }}
