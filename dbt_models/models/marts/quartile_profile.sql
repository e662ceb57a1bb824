{#- One row per segment (segments only: quartiles rank accounts against each other, SPEC §4.1),
    dimension and value: how many of the segment's fastest (ttv_quartile 1) and slowest (4)
    accounts have that value, and the difference of the shares (SPEC §9.4). Dimensions are the
    cohort_ttv ones (without `all` and `segment`, constant within a segment) plus `integration`:
    one value per name in `integrations` (`none` when the account has none, `unknown` when its
    onboarding row is missing). An account with two integrations counts for both, so integration
    shares may add up to more than 1. -#}
{%- set dimensions = [
    'csm_owner', 'industry', 'plan_tier', 'sales_channel', 'pre_onboarding',
    'configuration_approach', 'touch_model', 'onboarding_variant',
] -%}
{#- integrations are split into at most this many names per account -#}
{%- set max_integrations = 20 -%}

with accounts as (
    select * from {{ ref('account_ttv') }}
    where ttv_quartile in (1, 4)
),

-- the accounts with an onboarding row: an empty `integrations` there means none (SPEC §3:
-- empty is NULL), while an account without the row has unknown integrations
onboardings as (
    select account_id from {{ ref('stg_crm__onboardings') }}
),

quartile_sizes as (
    select
        coalesce(segment, 'unknown') as segment,
        count(case when ttv_quartile = 1 then 1 end) as quartile_top_accounts,
        count(case when ttv_quartile = 4 then 1 end) as quartile_bottom_accounts
    from {{ ref('account_ttv') }}
    where ttv_quartile is not null
    group by coalesce(segment, 'unknown')
),

positions as (
    {%- for position in range(1, max_integrations + 1) %}
        select {{ position }} as position
        {%- if not loop.last %}
            union all
        {%- endif %}
    {%- endfor %}
),

integration_values as (
    select
        accounts.account_id,
        trim(split_part(accounts.integrations, ';', positions.position)) as dimension_value
    from accounts
    inner join positions
        on positions.position <= length(accounts.integrations)
            - length(replace(accounts.integrations, ';', '')) + 1
    where accounts.integrations is not null
),

account_values as (
    {%- for dimension in dimensions %}
        select
            account_id,
            '{{ dimension }}' as dimension,
            {%- if dimension == 'pre_onboarding' %}
                case
                    when {{ dimension }} then 'true' when not {{ dimension }} then 'false' else
                        'unknown'
                end
            {%- else %}
                coalesce({{ dimension }}, 'unknown')
            {%- endif %} as dimension_value
        from accounts
        union all
    {%- endfor %}
    select distinct
        account_id,
        'integration' as dimension,
        dimension_value
    from integration_values
    where dimension_value <> ''
    union all
    -- no integration named: `none`; no onboarding row at all: `unknown`
    select
        accounts.account_id,
        'integration' as dimension,
        case when onboardings.account_id is null then 'unknown' else 'none' end as dimension_value
    from accounts
    left join onboardings
        on accounts.account_id = onboardings.account_id
    where accounts.integrations is null or trim(replace(accounts.integrations, ';', '')) = ''
),

counted as (
    select
        coalesce(accounts.segment, 'unknown') as segment,
        account_values.dimension,
        account_values.dimension_value,
        count(case when accounts.ttv_quartile = 1 then 1 end) as accounts_top,
        count(case when accounts.ttv_quartile = 4 then 1 end) as accounts_bottom
    from account_values
    inner join accounts
        on account_values.account_id = accounts.account_id
    group by
        coalesce(accounts.segment, 'unknown'), account_values.dimension,
        account_values.dimension_value
),

final as (
    select
        counted.segment,
        counted.dimension,
        counted.dimension_value,
        counted.accounts_top,
        counted.accounts_bottom,
        {{ ratio('counted.accounts_top', 'quartile_sizes.quartile_top_accounts') }} as share_of_top,
        {{ ratio('counted.accounts_bottom', 'quartile_sizes.quartile_bottom_accounts') }}
            as share_of_bottom,
        {{ ratio('counted.accounts_top', 'quartile_sizes.quartile_top_accounts') }}
        - {{ ratio('counted.accounts_bottom', 'quartile_sizes.quartile_bottom_accounts') }}
            as lift,
        {{ as_of_date() }} as as_of_date
    from counted
    inner join quartile_sizes
        on counted.segment = quartile_sizes.segment
)

select * from final
order by segment, dimension, dimension_value
