-- Every submission with its status (mirrored from the registry by the pipeline).
select
    submission_id,
    collection,
    lea_id,
    period,
    original_name,
    sha256,
    size_bytes,
    received_at,
    submitter,
    status,
    error_count,
    warning_count,
    row_count,
    validated_at,
    in_force
from {{ source('raw', 'submissions') }}
