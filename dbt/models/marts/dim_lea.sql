-- One row per LEA in the state's directory, with what the warehouse knows about it.
with private_schools as (
    select
        lea_id,
        count(*) as private_schools,
        count(*) filter (where nonprofit) as nonprofit_private_schools
    from {{ ref('stg_private_schools') }}
    group by lea_id
)

select
    l.lea_id,
    l.lea_name,
    l.county,
    l.lea_type,
    coalesce(p.private_schools, 0) as private_schools_located,
    coalesce(p.nonprofit_private_schools, 0) as nonprofit_private_schools_located
from {{ ref('stg_leas') }} as l
left join private_schools as p using (lea_id)
