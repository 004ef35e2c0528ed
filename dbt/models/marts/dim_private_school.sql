-- One row per private school in the state's directory, with the LEA it is located in (the LEA
-- responsible for its children's child find and equitable services, 34 CFR 300.131-133).
select
    private_school_id,
    school_name,
    lea_id,
    nonprofit,
    level,
    level in ('ELEMENTARY', 'SECONDARY', 'COMBINED') as is_elementary_or_secondary
from {{ ref('stg_private_schools') }}
