select
    _submission_id as submission_id,
    upper(private_school_id) as private_school_id,
    trim(name) as school_name,
    lea_id,
    nonprofit,
    {{ standard_code('level') }} as level
from {{ source('raw', 'private_schools') }}
