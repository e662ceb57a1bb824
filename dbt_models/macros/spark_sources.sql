{#- Makes every dbt source (raw.*, config.*) a Spark table over the Parquet files that
    dagster_project/lib/spark_sources.py wrote to `<location>/<schema>/<table>/`:

        dbt run-operation register_parquet_sources --args '{location: /data/ttv}' --target spark

    `location` is anything Spark reads: a local folder, s3://, abfss://, gs://, dbfs:/. The tables
    are external (LOCATION given): dropping one never deletes its files, so re-registering after
    a new export is a drop and create. Dispatched, so dbt-databricks (which falls back to the
    spark__ macros) uses it too. -#}
{% macro register_parquet_sources(location) -%}
    {{ return(adapter.dispatch('register_parquet_sources')(location)) }}
{%- endmacro %}

{% macro default__register_parquet_sources(location) -%}
    {{ exceptions.raise_compiler_error(
        "register_parquet_sources is for Spark targets; DuckDB loads the sources itself") }}
{%- endmacro %}

{% macro spark__register_parquet_sources(location) -%}
    {%- set sources = graph.sources.values() | sort(attribute='unique_id') -%}
    {%- for schema in sources | map(attribute='schema') | unique %}
        {%- do run_query('create database if not exists ' ~ schema) %}
    {%- endfor %}
    {%- for source in sources %}
        {%- set relation = source.schema ~ '.' ~ source.identifier %}
        {%- set path = location.rstrip('/') ~ '/' ~ source.schema ~ '/' ~ source.identifier %}
        {%- do run_query('drop table if exists ' ~ relation) %}
        {%- do run_query('create table ' ~ relation ~ " using parquet location '" ~ path ~ "'") %}
        {%- do log('registered ' ~ relation ~ ' -> ' ~ path, info=true) %}
    {%- endfor %}
{%- endmacro %}
