{#- Every difference between the engines the models run on lives here, one dispatch macro each,
    so no model names an engine. DuckDB is the default; Spark 4 is the distributed one (SPEC §8),
    and dbt-databricks falls back to the spark__ variants. tests/spark/test_engine_macros.py runs
    each macro on both engines on the same edge cases (`make test-spark`).

    Measured differences these macros absorb (DuckDB 2.0, Spark 4.3 as dbt-spark runs it, ANSI
    off): DuckDB raises on `x // 0` and returns inf for `1 / 0.0` where Spark returns NULL; JSON
    and regex functions have other names, DuckDB's regexp_replace replaces only the first match
    and its JSON functions raise on malformed text; a backslash in a string literal is an escape
    on Spark, not on DuckDB. Cross-database macros to avoid: dbt.safe_cast is a plain cast on
    Spark, and dbt.datediff counts boundaries on DuckDB (00:59 to 01:01 is 1 hour) but elapsed
    units on Spark (0 hours); use days_between. Both engines share QUALIFY, FILTER,
    percentile_cont ... within group, group by all, count_if, min_by, bool_or. -#}

{#- Fractional days from one timestamp to another (seconds / 86400, SPEC §4). dbt.datediff
    counts boundaries crossed, not elapsed time, and differs by engine; microseconds don't. -#}
{% macro days_between(start_at, end_at) -%}
    {{ return(adapter.dispatch('days_between')(start_at, end_at)) }}
{%- endmacro %}

{% macro default__days_between(start_at, end_at) -%}
    (cast(epoch_us({{ end_at }}) - epoch_us({{ start_at }}) as double) / 86400000000)
{%- endmacro %}

{% macro spark__days_between(start_at, end_at) -%}
    (cast(unix_micros({{ end_at }}) - unix_micros({{ start_at }}) as double) / 86400000000)
{%- endmacro %}

{#- Seconds since 1970-01-01 00:00 UTC of a (UTC) timestamp, with its fraction: a double. -#}
{% macro epoch_seconds(ts) -%}
    {{ return(adapter.dispatch('epoch_seconds')(ts)) }}
{%- endmacro %}

{% macro default__epoch_seconds(ts) -%}
    (cast(epoch_us({{ ts }}) as double) / 1000000)
{%- endmacro %}

{% macro spark__epoch_seconds(ts) -%}
    (cast(unix_micros({{ ts }}) as double) / 1000000)
{%- endmacro %}

{#- Whole UTC days since 1970-01-01 of a timestamp: an integer to window over by day. -#}
{% macro day_number(ts) -%}
    {{ return(adapter.dispatch('day_number')(ts)) }}
{%- endmacro %}

{% macro default__day_number(ts) -%}
    cast(epoch_us(cast(cast({{ ts }} as date) as timestamp)) // 86400000000 as integer)
{%- endmacro %}

{% macro spark__day_number(ts) -%}
    unix_date(cast({{ ts }} as date))
{%- endmacro %}

{#- Safe ratio: NULL, not an error or infinity, when the denominator is 0 or NULL. Standard SQL
    on both engines, so not dispatched. -#}
{% macro ratio(numerator, denominator) -%}
    case when {{ denominator }} <> 0 then cast({{ numerator }} as double) / {{ denominator }} end
{%- endmacro %}

{#- Integer division truncated toward zero (-7, 2 -> -3); NULL when the denominator is 0 or NULL
    (DuckDB would raise, Spark with ANSI on too). -#}
{% macro integer_divide(numerator, denominator) -%}
    {{ return(adapter.dispatch('integer_divide')(numerator, denominator)) }}
{%- endmacro %}

{% macro default__integer_divide(numerator, denominator) -%}
    case when {{ denominator }} <> 0 then {{ numerator }} // {{ denominator }} end
{%- endmacro %}

{% macro spark__integer_divide(numerator, denominator) -%}
    case when {{ denominator }} <> 0 then {{ numerator }} div {{ denominator }} end
{%- endmacro %}

{#- A SQL string literal of a text given in the model (a regex, a JSON path), escaped for the
    engine: Spark reads a backslash in a literal as an escape, DuckDB does not. -#}
{% macro string_literal(text) -%}
    {{ return(adapter.dispatch('string_literal')(text)) }}
{%- endmacro %}

{% macro default__string_literal(text) -%}
    '{{ text | replace("'", "''") }}'
{%- endmacro %}

{% macro spark__string_literal(text) -%}
    '{{ text | replace("\\", "\\\\") | replace("'", "\\'") }}'
{%- endmacro %}

{#- The text at a JSON path ('$.plan', '$.a.b', '$.items[0]') of a JSON text column: strings
    unquoted, numbers and booleans as written, objects and arrays as compact JSON; NULL when the
    path is missing, the value is null, or the text is not JSON (DuckDB would raise). -#}
{% macro json_field(json_text, path) -%}
    {{ return(adapter.dispatch('json_field')(json_text, path)) }}
{%- endmacro %}

{% macro default__json_field(json_text, path) -%}
    case when json_valid({{ json_text }})
        then json_extract_string({{ json_text }}, {{ string_literal(path) }}) end
{%- endmacro %}

{% macro spark__json_field(json_text, path) -%}
    get_json_object({{ json_text }}, {{ string_literal(path) }})
{%- endmacro %}

{#- Whether a regular expression matches anywhere in the text. Write patterns in the syntax
    both RE2 (DuckDB) and Java (Spark) read: classes, anchors, quantifiers, groups, | . -#}
{% macro regex_matches(text, pattern) -%}
    {{ return(adapter.dispatch('regex_matches')(text, pattern)) }}
{%- endmacro %}

{% macro default__regex_matches(text, pattern) -%}
    regexp_matches({{ text }}, {{ string_literal(pattern) }})
{%- endmacro %}

{% macro spark__regex_matches(text, pattern) -%}
    ({{ text }} rlike {{ string_literal(pattern) }})
{%- endmacro %}

{#- Every match of a regular expression replaced by a plain text (no group references: $1 and
    \1 differ between the engines). -#}
{% macro regex_replace_all(text, pattern, replacement) -%}
    {{ return(adapter.dispatch('regex_replace_all')(text, pattern, replacement)) }}
{%- endmacro %}

{% macro default__regex_replace_all(text, pattern, replacement) -%}
    regexp_replace({{ text }}, {{ string_literal(pattern) }}, {{ string_literal(replacement) }},
        'g')
{%- endmacro %}

{% macro spark__regex_replace_all(text, pattern, replacement) -%}
    regexp_replace({{ text }}, {{ string_literal(pattern) }}, {{ string_literal(replacement) }})
{%- endmacro %}

{#- The incremental strategy of a model that rebuilds whole days of its table: give it both
    `unique_key` and `partition_by` on the day column. Spark here has plain Parquet tables (no
    Delta or Iceberg jars), where `merge` is refused: insert_overwrite replaces the partitions
    present in the new rows. DuckDB deletes and inserts on the key. On a cluster with Delta or
    Iceberg, keep replacing whole days (insert_overwrite, or replace_where on Databricks), not
    `merge`: the key is the day, which many rows share (README, "Incremental models on Spark"). -#}
{% macro incremental_strategy() -%}
    {{ return(adapter.dispatch('incremental_strategy')()) }}
{%- endmacro %}

{% macro default__incremental_strategy() -%}
    {{ return('delete+insert') }}
{%- endmacro %}

{% macro spark__incremental_strategy() -%}
    {{ return('insert_overwrite') }}
{%- endmacro %}

{#- The complementary error function erfc(x), for the p-value of a chi-square with one degree
    of freedom: p = erfc(sqrt(chi2 / 2)) (SPEC §9.5). Neither DuckDB (2.0) nor Spark (4) has erf
    or erfc, so both use the Chebyshev fit of Numerical Recipes (2nd ed., §6.2, `erfcc`):
    fractional error below 1.2e-7 for every x, x >= 0 and x < 0 (erfc(-x) = 2 - erfc(x)).
    An engine with a native erfc gets its own variant here. -#}
{% macro erfc(x) -%}
    {{ return(adapter.dispatch('erfc')(x)) }}
{%- endmacro %}

{% macro default__erfc(x) -%}
    {%- set z = 'abs(cast(' ~ x ~ ' as double))' -%}
    {%- set t = '(1 / (1 + 0.5 * ' ~ z ~ '))' -%}
    {%- set coefficients = [1.00002368, 0.37409196, 0.09678418, -0.18628806, 0.27886807,
                            -1.13520398, 1.48851587, -0.82215223, 0.17087277] -%}
    {%- set ns = namespace(poly='0') -%}
    {%- for c in coefficients | reverse -%}
        {%- set ns.poly = '(' ~ c ~ ' + ' ~ t ~ ' * ' ~ ns.poly ~ ')' -%}
    {%- endfor -%}
    {#- erfc(z) for z = |x|, then erfc(x) = 2 - erfc(|x|) for x < 0 -#}
    (case
        when {{ x }} is null then null
        when {{ x }} >= 0 then {{ t }} * exp(-{{ z }} * {{ z }} - 1.26551223 + {{ t }} * {{ ns.poly }})
        else 2 - {{ t }} * exp(-{{ z }} * {{ z }} - 1.26551223 + {{ t }} * {{ ns.poly }})
    end)
{%- endmacro %}
