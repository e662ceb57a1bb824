{#- One row per account and milestone of the catalogue, reached or not (SPEC §4). -#}
with account_milestones as (
    select * from {{ ref('int_account_milestones') }}
),

accounts as (
    select * from {{ ref('account_ttv') }}
),

final as (
    select
        account_milestones.account_id,
        account_milestones.milestone,
        account_milestones.milestone_order,
        account_milestones.source,
        account_milestones.owner,
        account_milestones.reached_at,
        account_milestones.days_from_start,
        account_milestones.target_days,
        -- churned: not reached and the account churned by as-of (SPEC §4.1); overdue: not
        -- reached, not churned, and more days have passed from the start to as-of than the
        -- target (for the value milestone: days_onboarding > target_days)
        case
            when account_milestones.reached_at is not null then 'reached'
            when accounts.churned_at is not null then 'churned'
            when {{ days_between('accounts.start_at', as_of()) }}
                > account_milestones.target_days then 'overdue'
            else 'pending'
        end as status,
        account_milestones.is_value_milestone,
        account_milestones.is_value_before_start,
        accounts.as_of_date
    from account_milestones
    inner join accounts
        on account_milestones.account_id = accounts.account_id
)

select * from final
order by account_id, milestone_order
