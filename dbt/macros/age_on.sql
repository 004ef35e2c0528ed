{#- Whole years of age on a date; the birthday itself counts (age 3 on the 3rd birthday).
    Same arithmetic as sped.contracts.sql.age_on, which the validation rules use. -#}
{% macro age_on(birth, on) -%}
    (year({{ on }}) - year({{ birth }})
     - case when month({{ on }}) * 100 + day({{ on }}) < month({{ birth }}) * 100 + day({{ birth }})
            then 1 else 0 end)
{%- endmacro %}
