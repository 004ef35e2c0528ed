-- Monitoring activities for out-of-district students. Activities by parents or by the
-- placement's own staff are kept but never count as monitoring (603 CMR 28.06(3)(b)).
select
    _submission_id as submission_id,
    _source_row as source_row,
    lea_id,
    school_year,
    student_id,
    nullif(trim(facility_id), '') as facility_id,
    activity_date,
    {{ standard_code('activity_type') }} as activity_type,
    {{ standard_code('conducted_by') }} as conducted_by,
    {{ standard_code('conducted_by') }} in ('DISTRICT_STAFF', 'CONTRACTED_MONITOR')
        as is_countable_monitor
from {{ source('raw', 'monitoring_log') }}
