-- Students per LEA, school year, age group and educational environment from the roster in
-- force: the per-student work behind fct_lre_environments, kept per LEA so a new roster
-- recomputes only its LEA (sped/warehouse/build_scope.py).
select
    lea_id,
    school_year,
    age_group,
    educational_environment,
    count(*) as students
from {{ ref('stg_placements') }}
where {{ only_changed_leas() }}
group by all
