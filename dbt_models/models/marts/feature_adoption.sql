{#- One row per feature of the catalogue and segment (and segment group): how many accounts were
    exposed to the feature, how many used it and how soon (SPEC §9.7). An account is exposed at
    the later of the release (00:00 UTC of released_at) and its start of the clock, when that is
    before as-of and it had not churned by then. Days to adopt run from exposure to the first
    feature event by as-of (0 when it used the feature before, e.g. in a beta); Kaplan-Meier:
    not adopted is censored at churn, else at as-of. -#}
with accounts as (
    select * from {{ ref('account_ttv') }}
),

account_segments as (
    select * from {{ ref('int_account_segments') }}
),

features as (
    select * from {{ ref('stg_config__features') }}
),

first_uses as (
    select
        features.feature,
        events.account_id,
        min(events.first_at) as first_used_at
    from {{ ref('int_account_event_firsts') }} as events
    inner join features
        on events.event_name = features.event_name
    where events.first_at <= {{ as_of() }}
    group by features.feature, events.account_id
),

exposures as (
    select
        features.feature,
        accounts.account_id,
        accounts.churned_at,
        case when accounts.start_at > cast(features.released_at as {{ dbt.type_timestamp() }})
                then accounts.start_at
            else cast(features.released_at as {{ dbt.type_timestamp() }})
        end as exposed_at
    from accounts
    cross join features
),

exposed as (
    select
        exposures.feature,
        exposures.account_id,
        exposures.exposed_at,
        first_uses.first_used_at,
        case when first_uses.first_used_at is not null
                then greatest(
                        0, {{ days_between('exposures.exposed_at', 'first_uses.first_used_at') }}
                    )
        end as days_to_adopt,
        {{ days_between('exposures.exposed_at', as_of()) }} as days_exposed,
        case
            when first_uses.first_used_at is not null
                then greatest(
                        0, {{ days_between('exposures.exposed_at', 'first_uses.first_used_at') }}
                    )
            else {{ days_between('exposures.exposed_at',
                                 'coalesce(exposures.churned_at, ' ~ as_of() ~ ')') }}
        end as duration_days,
        first_uses.first_used_at is not null as is_adopted
    from exposures
    left join first_uses
        on exposures.feature = first_uses.feature
            and exposures.account_id = first_uses.account_id
    where exposures.exposed_at < {{ as_of() }}
        and (exposures.churned_at is null or exposures.churned_at > exposures.exposed_at)
),

members as (
    select
        exposed.*,
        account_segments.segment
    from exposed
    inner join account_segments
        on exposed.account_id = account_segments.account_id
),

km_medians as (
    {{ kaplan_meier_median('members', ['feature', 'segment'], 'duration_days', 'is_adopted') }}
),

summarized as (
    select
        feature,
        segment,
        count(*) as exposed_accounts,
        count(case when is_adopted then 1 end) as adopted,
        -- "within N days" includes day N (SPEC §9)
        {{ ratio('count(case when days_exposed >= 30 and days_to_adopt <= 30 then 1 end)',
                 'count(case when days_exposed >= 30 then 1 end)') }}
            as share_adopted_within_30_days,
        percentile_cont(0.5) within group (order by days_to_adopt) as median_days_to_adopt
    from members
    group by feature, segment
),

final as (
    select
        summarized.feature,
        summarized.segment,
        summarized.exposed_accounts,
        summarized.adopted,
        {{ ratio('summarized.adopted', 'summarized.exposed_accounts') }} as adoption_rate,
        summarized.share_adopted_within_30_days,
        summarized.median_days_to_adopt,
        km_medians.km_median as km_median_days_to_adopt,
        {{ as_of_date() }} as as_of_date
    from summarized
    left join km_medians
        on summarized.feature = km_medians.feature
            and summarized.segment = km_medians.segment
)

select * from final
order by feature, segment
