"""Hands what the DuckDB ingest loaded to Spark: the sources `dbt build --target spark` reads.

The ingest (lib/landing.py) validates, casts, quarantines and deduplicates the landing zone into
the dbt sources `raw.*` and `config.*`. `export_sources` writes each of them as Parquet to
`<location>/<schema>/<table>/`; `register_sources` runs the dbt project's own
`register_parquet_sources` operation on a Spark target, which makes them external Parquet tables.
Going through dbt means one connection for every Spark (session, thrift, Databricks): the profile.

    python -m dagster_project.lib.spark_sources                  # export, register locally
    python -m dagster_project.lib.spark_sources --skip-register --out /exports/ttv
    python -m dagster_project.lib.spark_sources --skip-export --location s3://b/ttv --target prod
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
from pathlib import Path

import duckdb
import yaml

from dagster_project import paths

# The parent of the profile's Spark folders (metastore, table files), as in profiles.yml.
DEFAULT_SPARK_DIR = "/tmp/ttv-spark"


def source_tables(project_dir: Path = paths.DBT_PROJECT_DIR) -> list[tuple[str, str]]:
    """(schema, table) of every dbt source, read from the project's sources files."""
    tables = set()
    for file in sorted((project_dir / "models").rglob("*.yml")):
        for source in (yaml.safe_load(file.read_text()) or {}).get("sources") or []:
            for table in source.get("tables") or []:
                schema = source.get("schema") or source["name"]
                tables.add((schema, table.get("identifier") or table["name"]))
    return sorted(tables)


def sources_database(warehouse: Path | None = None) -> Path:
    """The DuckDB file that holds the loaded sources of a warehouse (default TTV_WAREHOUSE): the
    run's working file, where raw.* stays; only the analyst tables are published."""
    return paths.working_warehouse_path(warehouse)


def table_location(location: str, schema: str, table: str) -> str:
    """Where one source table's Parquet files live: the path register_parquet_sources reads."""
    return f"{location.rstrip('/')}/{schema}/{table}"


def export_sources(database: Path, out_dir: Path | str) -> list[str]:
    """Write every dbt source table of a DuckDB file as Parquet under a local folder (each table's
    folder is replaced); return the folders written. For object storage, copy the folder there
    (or write to a mount of it) and register that location.
    """
    if "://" in str(out_dir):
        raise ValueError(f"export to a local folder, then copy it to {out_dir}")
    written = []
    with duckdb.connect(str(database), read_only=True) as con:
        con.execute("set TimeZone = 'UTC'")
        for schema, table in source_tables():
            folder = table_location(str(Path(out_dir).resolve()), schema, table)
            shutil.rmtree(folder, ignore_errors=True)
            Path(folder).mkdir(parents=True)
            columns = con.execute(
                "select column_name, data_type from information_schema.columns"
                " where table_schema = ? and table_name = ? order by ordinal_position",
                [schema, table],
            ).fetchall()
            if not columns:
                raise LookupError(f"{schema}.{table} is not in {database}: run the ingest first")
            # The warehouse keeps UTC in plain timestamps. Written as timestamptz, Parquet marks
            # them UTC-adjusted, which Spark reads as its TIMESTAMP; a plain one would be
            # TIMESTAMP_NTZ, a type the models do not expect.
            select = ", ".join(
                f'cast("{name}" as timestamptz) as "{name}"' if kind == "TIMESTAMP" else f'"{name}"'
                for name, kind in columns
            )
            target = f"{folder}/{table}.parquet".replace("'", "''")
            con.execute(
                f'copy (select {select} from "{schema}"."{table}") to \'{target}\' (format parquet)'
            )
            written.append(folder)
    return written


def dbt_output_args(folder: Path) -> list[str]:
    """dbt's compiled files, manifest and logs in `folder` instead of the project's target/."""
    return ["--target-path", str(folder), "--log-path", str(folder / "logs")]


def register_sources(
    location: str,
    target: str = "spark",
    project_dir: Path = paths.DBT_PROJECT_DIR,
    output_dir: Path | None = None,
) -> None:
    """Make the exported Parquet at `location` (a folder or a URL Spark reads) the Spark tables of
    the dbt sources, with dbt run-operation register_parquet_sources.

    Runs dbt in this process: with the local `session` target, Spark then lives on in this
    process, so a later dbt call or SparkSession here shares its session and metastore. dbt's
    files go to `output_dir`, default target/<target>/ in the project, leaving
    target/manifest.json to the DuckDB build Dagster reads.
    """
    from dbt.cli.main import dbtRunner

    args = [
        "run-operation",
        "register_parquet_sources",
        "--args",
        yaml.safe_dump({"location": location}),
        "--project-dir",
        str(project_dir),
        "--profiles-dir",
        str(project_dir),
        "--target",
        target,
        *dbt_output_args(output_dir or project_dir / "target" / target),
    ]
    result = dbtRunner().invoke(args)
    if not result.success:
        raise RuntimeError(f"dbt run-operation register_parquet_sources failed: {result.exception}")


def main(argv: list[str] | None = None) -> int:
    spark_dir = os.environ.get("TTV_SPARK_DIR") or DEFAULT_SPARK_DIR
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--warehouse",
        type=Path,
        default=None,
        help="the warehouse whose run loaded the sources (default TTV_WAREHOUSE)",
    )
    parser.add_argument(
        "--out",
        type=Path,
        default=Path(spark_dir) / "sources",
        help="local folder to write the Parquet to ($TTV_SPARK_DIR/sources)",
    )
    parser.add_argument(
        "--location",
        default=None,
        help="where Spark reads it, if copied elsewhere (default: --out)",
    )
    parser.add_argument("--target", default="spark", help="the dbt target to register it on")
    parser.add_argument("--skip-export", action="store_true", help="only register")
    parser.add_argument("--skip-register", action="store_true", help="only export")
    options = parser.parse_args(argv)
    if not options.skip_export:
        for folder in export_sources(sources_database(options.warehouse), options.out):
            print(f"exported {folder}")
    if not options.skip_register:
        register_sources(options.location or str(options.out.resolve()), options.target)
    return 0


if __name__ == "__main__":
    sys.exit(main())
