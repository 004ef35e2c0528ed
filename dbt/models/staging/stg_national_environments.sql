-- The federal IDEA Section 618 state-level child count and educational environments file
-- (raw.national_environments, as published), typed: each row's environment label mapped to
-- its EDFacts code and age group, and its one count that applies (ages 3-5 or 6-21) read as an
-- integer. The publisher's markers are kept: '-' not available, 'x' suppressed for small cell
-- size, '*' flagged for questionable data quality (the count is then NULL).
with source as (
    select * from {{ source('national_reference', 'national_environments') }}
),

labelled as (
    select
        _source_row as source_row,
        _sha256 as file_sha256,
        cast(trim(year) as integer) as fall_year,
        trim(state_name) as state_name,
        trim(sea_disability_category) as disability_category,
        trim(sea_education_environment) as environment_label,
        case trim(sea_education_environment)
            when 'Inside regular class 80% or more of the day' then 'RC80'
            when 'Inside regular class 40% through 79% of the day' then 'RC79TO40'
            when 'Inside regular class less than 40% of the day' then 'RC39'
            when 'Separate School, Age 6-21' then 'SS'
            when 'Residential Facility, Age 6-21' then 'RF'
            when 'Homebound/Hospital' then 'HH'
            when 'Correctional Facilities' then 'CF'
            when 'Parentally Placed in Private Schools' then 'PPPS'
            when 'Services in Regular Early Childhood Program (attend at least 10 hours)'
                then 'REC10YSVCS'
            when 'Services in Regular Early Childhood Program (attend less than 10 hours)'
                then 'REC09YSVCS'
            when
                'Services in Other Location than Regular Early Childhood Program'
                || ' (attend at least 10 hours)'
                then 'REC10YOTHLOC'
            when
                'Services in Other Location than Regular Early Childhood Program'
                || ' (attend less than 10 hours)'
                then 'REC09YOTHLOC'
            when 'Separate Class' then 'SC'
            when 'Separate School, Age 3-5' then 'SS'
            when 'Residential Facility, Age 3-5' then 'RF'
            when 'Home' then 'H'
            when 'Service Provider Location' then 'SPL'
            when 'Total, Age 3-5' then 'TOTAL'
            when 'Total, Age 6-21' then 'TOTAL'
        end as educational_environment,
        case
            when
                trim(sea_education_environment) in (
                    'Separate Class', 'Separate School, Age 3-5', 'Residential Facility, Age 3-5',
                    'Home', 'Service Provider Location', 'Total, Age 3-5'
                )
                or trim(sea_education_environment) like 'Services in %Early Childhood Program%'
                then '3-5'
            else '6-21'
        end as age_group,
        trim(age_3_to_5) as cell_3_5,
        trim(ages_6_21) as cell_6_21
    from source
),

cells as (
    select
        *,
        case when age_group = '3-5' then cell_3_5 else cell_6_21 end as cell
    from labelled
)

select
    source_row,
    file_sha256,
    fall_year,
    fall_year || '-' || right(cast(fall_year + 1 as varchar), 2) as school_year,
    state_name,
    state_name = 'US, Outlying Areas, and Freely Associated States' as is_national_total,
    disability_category,
    environment_label,
    educational_environment,
    age_group,
    try_cast(replace(cell, ',', '') as bigint) as students,
    case cell
        when '-' then 'NOT_AVAILABLE'
        when 'x' then 'SUPPRESSED'
        when '*' then 'FLAGGED'
    end as cell_marker
from cells
