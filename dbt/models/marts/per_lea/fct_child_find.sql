-- Child find for parentally placed private-school children per LEA and school year, the
-- numbers each LEA reports yearly (34 CFR 300.131-300.132): children evaluated
-- (initial and reevaluations), determined to be children with disabilities, and served; and
-- timeliness from parental consent to evaluation against var evaluation_timeline_days.
select
    lea_id,
    school_year,
    count(distinct student_id) as referred,
    count(*) filter (where evaluation_type = 'INITIAL' and evaluation_date is not null)
        as evaluated_initial,
    count(*) filter (where evaluation_type = 'REEVALUATION' and evaluation_date is not null)
        as evaluated_reevaluation,
    count(distinct student_id) filter (where eligibility = 'ELIGIBLE') as determined_eligible,
    count(distinct student_id) filter (where services_plan_date is not null) as served,
    count(*) filter (where days_consent_to_evaluation is not null) as evaluated_with_consent,
    count(*) filter (where days_consent_to_evaluation <= {{ var('evaluation_timeline_days') }})
        as evaluated_within_timeline,
    count(*) filter (where days_consent_to_evaluation <= {{ var('evaluation_timeline_days') }})
    / nullif(count(*) filter (where days_consent_to_evaluation is not null), 0)
        as timely_rate,
    median(days_consent_to_evaluation) as median_days_consent_to_evaluation
from {{ ref('stg_child_find') }}
where {{ only_changed_leas() }}
group by lea_id, school_year
