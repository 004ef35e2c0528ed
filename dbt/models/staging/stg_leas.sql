select
    _submission_id as submission_id,
    lea_id,
    trim(name) as lea_name,
    trim(county) as county,
    {{ standard_code('lea_type') }} as lea_type
from {{ source('raw', 'leas') }}
