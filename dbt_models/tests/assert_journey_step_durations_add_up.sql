{#- SPEC §4: an account's step durations in a journey add up to the time from its start of the
    clock to its latest milestone of the journey (0 when every reached milestone is before the
    start). Steps run in parallel count 0 days, so nothing is double-counted; a step whose
    duration is NULL (not reached, or a value milestone dated before the start) does not count.
    Fails with the account and journey whose durations do not add up, to a microsecond. -#}
{{ config(meta={'dagster': {'ref': {'name': 'journey_steps'}}}) }}

with steps as (
    select * from {{ ref('journey_steps') }}
),

accounts as (
    select * from {{ ref('account_ttv') }}
),

per_journey as (
    select
        account_id,
        journey,
        coalesce(sum(duration_days), 0) as summed_days,
        max(case when duration_days is not null then ended_at end) as latest_at
    from steps
    group by account_id, journey
),

final as (
    select
        per_journey.account_id,
        per_journey.journey,
        accounts.start_at,
        per_journey.latest_at,
        per_journey.summed_days,
        case
            when per_journey.latest_at > accounts.start_at
                then {{ days_between('accounts.start_at', 'per_journey.latest_at') }}
            else 0
        end as expected_days
    from per_journey
    inner join accounts
        on per_journey.account_id = accounts.account_id
)

select * from final
where abs(summed_days - expected_days) > 1.0 / 86400000000
