"""A mart read from DuckDB and from Spark as comparable rows, and the row-by-row comparison.

Timestamps are read as microseconds since the epoch on both engines and compared as UTC
datetimes (neither the Python process's time zone nor the driver's can shift them); booleans
become 0/1, integers, decimals and doubles become numbers compared with a small tolerance.
"""

import datetime as dt
import math
import re
from collections import Counter
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import duckdb

EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
# Durations are doubles (days); the engines may sum or interpolate in another order, so allow
# rounding in the last digits: 1e-9 days is 86 microseconds.
REL_TOL = ABS_TOL = 1e-9
SHOWN_DIFFERENCES = 10


@dataclass(frozen=True)
class Table:
    columns: list[str]
    kinds: list[str]  # each column's type family, named the same for both engines
    rows: list[tuple]


# Type families: an analyst sees the same kind of column on both engines (widths may differ).
KINDS = (
    (r"varchar|string", "text"),
    (r"boolean", "boolean"),
    (r"tinyint|smallint|integer|int|bigint|hugeint", "integer"),
    (r"double|float|real|decimal.*", "number"),
    (r"date", "date"),
    (r"timestamp.*", "timestamp"),
)


def kind_of(type_name: str) -> str:
    for pattern, kind in KINDS:
        if re.fullmatch(pattern, type_name.lower()):
            return kind
    return type_name.lower()


def normalize(value, is_timestamp: bool):
    if value is None:
        return None
    if is_timestamp:
        return EPOCH + dt.timedelta(microseconds=int(value))
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, (Decimal, float)):
        return float(value)
    return value


def make_table(columns: list[str], types: list[str], rows) -> Table:
    kinds = [kind_of(t) for t in types]
    flags = [kind == "timestamp" for kind in kinds]
    rows = [
        tuple(normalize(value, flag) for value, flag in zip(row, flags, strict=False))
        for row in rows
    ]
    return Table(columns, kinds, rows)


def read_duckdb_table(warehouse: Path, name: str) -> Table:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        described = con.execute(f"describe {name}").fetchall()
        columns, types = [row[0] for row in described], [row[1] for row in described]
        select = ", ".join(
            f'epoch_us("{c}")' if kind_of(t) == "timestamp" else f'"{c}"'
            for c, t in zip(columns, types, strict=False)
        )
        return make_table(columns, types, con.execute(f"select {select} from {name}").fetchall())


def read_spark_table(name: str) -> Table:
    """A table through the Spark session dbt started in this process."""
    from pyspark.sql import SparkSession

    spark = SparkSession.builder.getOrCreate()
    fields = spark.table(name).schema.fields
    columns, types = [f.name for f in fields], [f.dataType.simpleString() for f in fields]
    select = ", ".join(
        f"unix_micros(cast(`{c}` as timestamp))" if kind_of(t) == "timestamp" else f"`{c}`"
        for c, t in zip(columns, types, strict=False)
    )
    rows = [tuple(row) for row in spark.sql(f"select {select} from {name}").collect()]
    return make_table(columns, types, rows)


def sort_key(row: tuple) -> tuple:
    """Every column in order; NULLs first; numbers rounded so that a last-digit difference between
    the engines cannot reorder rows."""
    key = []
    for value in row:
        if value is None:
            key.append((0, ""))
        elif isinstance(value, (int, float)):
            key.append((1, round(float(value), 6)))
        else:
            key.append((2, value))
    return tuple(key)


def same_value(a, b) -> bool:
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        return math.isclose(a, b, rel_tol=REL_TOL, abs_tol=ABS_TOL)
    return a == b


def differences(expected: Table, actual: Table) -> list[str]:
    """What differs between two tables, row by row after sorting both by every column."""
    if expected.columns != actual.columns:
        return [f"columns differ:\n  duckdb {expected.columns}\n  spark  {actual.columns}"]
    found = [
        f"column {c} is {a} on DuckDB, {b} on Spark"
        for c, a, b in zip(expected.columns, expected.kinds, actual.kinds, strict=False)
        if a != b
    ]
    if len(expected.rows) != len(actual.rows):
        found.append(f"row counts differ: duckdb {len(expected.rows)}, spark {len(actual.rows)}")
        left, right = Counter(map(sort_key, expected.rows)), Counter(map(sort_key, actual.rows))
        only_left, only_right = left - right, right - left
        found += [f"only on duckdb: {row}" for row in expected.rows if only_left[sort_key(row)]]
        found += [f"only on spark:  {row}" for row in actual.rows if only_right[sort_key(row)]]
    else:
        for left, right in zip(
            sorted(expected.rows, key=sort_key), sorted(actual.rows, key=sort_key), strict=False
        ):
            columns = [
                c
                for c, a, b in zip(expected.columns, left, right, strict=False)
                if not same_value(a, b)
            ]
            if columns:
                found.append(f"row differs in {columns}:\n  duckdb {left}\n  spark  {right}")
    if len(found) > SHOWN_DIFFERENCES:
        found = [*found[:SHOWN_DIFFERENCES], f"... and {len(found) - SHOWN_DIFFERENCES} more"]
    return found
