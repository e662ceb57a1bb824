{#- The CRM milestone dates as a long table: one row per account and onboarding timestamp column
    that holds a date. Every timestamp column of raw.onboarding is a milestone date (its
    declaration, config/schema.yml); which milestone reads which column is the catalogue's
    `crm_field` (config/ttv.yml). So a new CRM milestone is a column there and an entry in the
    catalogue, never an edit here: the columns are read from the relation when the model runs.
    Portable: one select per column, stacked with UNION ALL (no engine's UNPIVOT). -#}
{%- set date_columns = [] -%}
{%- if execute -%}
    {%- for column in adapter.get_columns_in_relation(source('crm', 'onboarding')) -%}
        {%- if column.dtype.lower().startswith('timestamp') and not column.name.startswith('_') -%}
            {%- do date_columns.append(column.name.lower()) -%}
        {%- endif -%}
    {%- endfor -%}
{%- endif %}

with source as (
    select * from {{ source('crm', 'onboarding') }}
),

dates as (
    {%- for column in date_columns | sort %}
    select
        account_id,
        '{{ column }}' as crm_field,
        {{ column }} as reached_at
    from source
    where {{ column }} is not null
    {%- if not loop.last %}
    union all
    {%- endif %}
    {%- else %}
    -- no timestamp column (only while dbt parses, before the relation exists)
        select
            account_id,
            cast(null as {{ dbt.type_string() }}) as crm_field,
            cast(null as {{ dbt.type_timestamp() }}) as reached_at
        from source
        where 1 = 0
    {%- endfor %}
),

final as (
    select
        account_id,
        crm_field,
        reached_at
    from dates
)

select * from final
