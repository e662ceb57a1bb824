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
        integrations,
        kickoff_at,
        access_provisioned_at,
        configuration_completed_at,
        data_migrated_at,
        training_completed_at,
        first_production_use_at,
        value_confirmed_at,
        full_value_at
    from source
)

select * from final
