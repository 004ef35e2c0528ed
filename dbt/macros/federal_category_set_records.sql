{#- The records of the EDFacts child-count files over a relation of children
    (fct_federal_children): per file, category set and reporting level (of `levels`: SEA, LEA),
    one row per combination of the set's category values, the other category columns NULL. The category
    sets, subtotals and education unit total (TOT) as the file specifications list them
    (sped/federal/specs.py holds the same; tests/test_federal_files.py keeps them equal). -#}
{% macro federal_category_set_records(children, levels=['SEA', 'LEA']) -%}
{% set category_sets = {
    'FS002': [
        ('CSA', ['disability_category', 'race_ethnicity', 'sex']),
        ('CSB', ['age', 'disability_category', 'educational_environment']),
        ('CSC', ['educational_environment', 'race_ethnicity']),
        ('CSD', ['disability_category', 'educational_environment', 'sex']),
        ('CSE', ['disability_category', 'educational_environment', 'english_learner', 'sex']),
        ('ST1', ['sex']),
        ('ST2', ['age']),
        ('ST3', ['disability_category']),
        ('ST4', ['race_ethnicity']),
        ('ST5', ['english_learner']),
        ('ST6', ['educational_environment']),
        ('ST7', ['age', 'educational_environment']),
        ('TOT', []),
    ],
    'FS089': [
        ('CSA', ['age', 'disability_category', 'educational_environment']),
        ('CSB', ['disability_category', 'educational_environment', 'race_ethnicity']),
        ('CSC', ['educational_environment', 'sex']),
        ('CSD', ['educational_environment', 'english_learner']),
        ('ST1', ['sex']),
        ('ST2', ['age']),
        ('ST3', ['disability_category']),
        ('ST4', ['race_ethnicity']),
        ('ST5', ['english_learner']),
        ('ST6', ['educational_environment']),
        ('TOT', []),
    ],
} %}
{% set columns = ['race_ethnicity', 'sex', 'disability_category', 'age',
                  'educational_environment', 'english_learner'] %}
{%- set selects = [] -%}
{%- for spec, spec_sets in category_sets.items() -%}
{%- for name, set_columns in spec_sets -%}
{%- for level in levels -%}
{%- set values = [] -%}
{%- for column in columns -%}
{%- do values.append(column if column in set_columns else 'cast(null as varchar) as ' ~ column) -%}
{%- endfor -%}
{%- do selects.append(
    "select school_year, '" ~ spec ~ "' as file_spec, '" ~ level ~ "' as reporting_level, "
    ~ ('lea_id' if level == 'LEA' else 'cast(null as varchar) as lea_id')
    ~ ", '" ~ name ~ "' as category_set, " ~ values | join(', ')
    ~ ", count(*) as students from " ~ children ~ " where file_spec = '" ~ spec
    ~ "' group by all"
) -%}
{%- endfor -%}
{%- endfor -%}
{%- endfor -%}
{{ selects | join('\nunion all\n') }}
{%- endmacro %}
