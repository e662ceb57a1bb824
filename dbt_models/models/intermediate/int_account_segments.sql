{#- The `segment` values each account is reported under in the aggregate marts (SPEC §4.1): its
    own segment (`unknown` when the CRM has none), and every segment group of the catalogue that
    pools its segment. A group only pools segments that share a clock (lib/catalogue.py refuses
    the catalogue otherwise), so no aggregate mixes unlike durations. -#}
with accounts as (
    select * from {{ ref('int_accounts_resolved') }}
),

segment_groups as (
    select * from {{ ref('stg_config__segment_groups') }}
),

final as (
    select
        account_id,
        coalesce(segment, 'unknown') as segment,
        false as is_segment_group
    from accounts
    union all
    select
        accounts.account_id,
        segment_groups.segment_group as segment,
        true as is_segment_group
    from accounts
    inner join segment_groups
        on accounts.segment = segment_groups.segment
)

select * from final
