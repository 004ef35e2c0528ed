{#- The proportionate share of a subgrant, in whole cents, exactly (34 CFR 300.133(a)):
        share = subgrant * ppps / (public + ppps)
    computed in integers so no floating point touches money. Rounding is half-up to the cent
    (var rounding = round_at_end), or the per-child amount subgrant / (public + ppps) rounded
    to the cent first and then multiplied by ppps (var rounding = per_child_first).
    Fresno County SELPA: 15,000,000 * 50 / 8,050 = 93,167.70; Florida DOE 2005-06:
    100,000 / 120 = 833.33 per child, * 20 = 16,666.60. -#}
{% macro proportionate_share_cents(subgrant, public, ppps) -%}
    case
        when {{ ppps }} is null or {{ public }} is null or {{ subgrant }} is null then null
        when {{ ppps }} = 0 then cast(0 as hugeint)
    {%- if var('rounding') == 'per_child_first' %}
        else {{ half_up_div(dollars_to_cents(subgrant), public ~ ' + ' ~ ppps) }} * {{ ppps }}
    {%- else %}
        else {{ half_up_div(dollars_to_cents(subgrant) ~ ' * ' ~ ppps, public ~ ' + ' ~ ppps) }}
    {%- endif %}
    end
{%- endmacro %}
