{#- One row per account: its start of the clock, time to first value, value and full value,
    onboarding status and progress, and the outcome of its first term (SPEC §4), as
    int_accounts_measured computes them for this mart and the cohorts alike. -#}
with accounts_measured as (
    select * from {{ ref('int_accounts_measured') }}
),

final as (
    select * from accounts_measured
)

select * from final
order by account_id
