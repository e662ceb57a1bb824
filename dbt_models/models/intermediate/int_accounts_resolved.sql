{#- Accounts known as of the run's date, with their onboarding attributes and their segment's
    clock (start milestone, value milestone, target) resolved from the catalogue. -#}
with accounts as (
    select * from {{ ref('stg_crm__accounts') }}
),

onboardings as (
    select * from {{ ref('stg_crm__onboardings') }}
),

segments as (
    select * from {{ ref('stg_config__segments') }}
    where not is_default
),

default_segment as (
    select * from {{ ref('stg_config__segments') }}
    where is_default
),

final as (
    select
        accounts.account_id,
        accounts.account_name,
        accounts.segment,
        -- the catalogue row the account follows: its segment, or `*` when the catalogue does not
        -- list it (journey_segments names segments the same way)
        coalesce(segments.segment, default_segment.segment) as catalogue_segment,
        accounts.industry,
        accounts.plan_tier,
        accounts.sales_channel,
        accounts.csm_owner,
        accounts.region,
        accounts.churn_reason,
        onboardings.is_pre_onboarding,
        onboardings.configuration_approach,
        onboardings.touch_model,
        onboardings.onboarding_variant,
        onboardings.integrations,
        coalesce(segments.start_milestone, default_segment.start_milestone) as start_milestone,
        coalesce(segments.value_milestone, default_segment.value_milestone) as value_milestone,
        coalesce(segments.first_value_milestone, default_segment.first_value_milestone)
            as first_value_milestone,
        coalesce(segments.full_value_milestone, default_segment.full_value_milestone)
            as full_value_milestone,
        coalesce(segments.target_days, default_segment.target_days) as target_days,
        coalesce(segments.best_in_class_days, default_segment.best_in_class_days)
            as best_in_class_days,
        accounts.created_at,
        -- churn after the as-of date has not happened yet for this run (SPEC §4)
        case when accounts.churned_at <= {{ as_of() }} then accounts.churned_at end as churned_at
    from accounts
    left join onboardings
        on accounts.account_id = onboardings.account_id
    left join segments
        on accounts.segment = segments.segment
    cross join default_segment
    where accounts.created_at is null or accounts.created_at <= {{ as_of() }}
)

select * from final
