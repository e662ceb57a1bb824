{#- The onboarding attributes, one row per account; its milestone dates are
    stg_crm__onboarding_milestones (a long table, one row per account and date column). -#}
with source as (
    select * from {{ source('crm', 'onboarding') }}
),

final as (
    select
        account_id,
        pre_onboarding as is_pre_onboarding,
        configuration_approach,
        touch_model,
        onboarding_variant,
        integrations
    from source
)

select * from final
