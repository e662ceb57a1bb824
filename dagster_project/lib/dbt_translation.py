"""How dbt nodes look in Dagster: asset groups by dbt layer, and a sentence for every dbt test.

dagster-dbt names an asset check after its dbt test and leaves it undescribed unless the test
has `meta.description`; an operator reading a failed check should not need the dbt YAML open.
"""

from collections.abc import Mapping
from typing import Any

import dagster as dg
from dagster_dbt import DagsterDbtTranslator

LAYERS = ("staging", "intermediate", "marts")


def layer(dbt_resource_props: Mapping[str, Any]) -> str | None:
    """The dbt folder under models/ that holds the node (staging, intermediate, marts)."""
    fqn = dbt_resource_props.get("fqn") or []
    return fqn[1] if len(fqn) > 2 and fqn[1] in LAYERS else None


def _listing(values) -> str:
    values = [str(v) for v in values]
    return ", ".join(values[:8]) + (f" and {len(values) - 8} more" if len(values) > 8 else "")


def describe_test(test: Mapping[str, Any], model: str) -> str:
    """One sentence saying what a dbt test asserts, from its own description or its arguments."""
    own = (test.get("description") or test.get("meta", {}).get("description") or "").strip()
    if own:
        return own
    metadata = test.get("test_metadata") or {}
    kwargs = metadata.get("kwargs") or {}
    column = test.get("column_name") or kwargs.get("column_name")
    name = metadata.get("name")
    where = f"`{model}.{column}`" if column else f"`{model}`"
    sentences = {
        "unique": f"Every value of {where} is unique.",
        "not_null": f"{where} is never NULL.",
        "not_negative": f"{where} is never negative.",
        "between_zero_and_one": f"{where} is a share: between 0 and 1.",
        "expression_is_true": f"`{kwargs.get('expression', '')}` holds on every row of `{model}`.",
        "accepted_values": f"{where} only holds {_listing(kwargs.get('values') or [])}.",
        "relationships": f"Every {where} exists in `{kwargs.get('field', '')}` of its parent.",
        "unique_combination": f"One row of `{model}` per {_listing(kwargs.get('columns') or [])}.",
    }
    if name in sentences:
        return sentences[name]
    if name:
        arguments = {k: v for k, v in kwargs.items() if k not in ("model", "column_name")}
        return f"dbt test `{name}` on {where}" + (f" with {arguments}" if arguments else "") + "."
    # a singular test: its file name says what it asserts
    return (
        f"Singular dbt test `{test['name']}` (dbt_models/tests): it returns the rows that break it."
    )


class TtvDbtTranslator(DagsterDbtTranslator):
    """dbt models grouped by layer; every dbt test check described."""

    def get_group_name(self, dbt_resource_props: Mapping[str, Any]) -> str | None:
        return layer(dbt_resource_props) or super().get_group_name(dbt_resource_props)

    def get_asset_check_spec(self, asset_spec, manifest, unique_id, project):
        spec = super().get_asset_check_spec(asset_spec, manifest, unique_id, project)
        if spec is None:
            return None
        test = manifest["nodes"][unique_id]
        return dg.AssetCheckSpec(
            name=spec.name,
            asset=spec.asset_key,
            description=describe_test(test, asset_spec.key.path[-1]),
            additional_deps=spec.additional_deps,
            metadata=spec.metadata,
            blocking=spec.blocking,
        )


def with_table_metadata(outputs: list[dg.Output], database, manifest: Mapping[str, Any]):
    """The dbt models' outputs with their column types and row counts (`dagster/column_schema`,
    `dagster/row_count`), read from the built file once dbt has exited: DuckDB lets one process
    at a time open a file that another writes, so this cannot run while dbt is building."""
    import duckdb

    if not outputs:
        return
    with duckdb.connect(str(database), read_only=True) as con:
        columns: dict[tuple[str, str], list[tuple[str, str]]] = {}
        for schema, table, column, data_type in con.execute(
            "select table_schema, table_name, column_name, data_type "
            "from information_schema.columns order by table_schema, table_name, ordinal_position"
        ).fetchall():
            columns.setdefault((schema, table), []).append((column, data_type))
        for output in outputs:
            unique_id = output.metadata.get("unique_id")
            node = manifest["nodes"].get(unique_id.value) if unique_id else None
            relation = (node["schema"], node.get("alias") or node["name"]) if node else None
            if relation not in columns:
                yield output
                continue
            described = node.get("columns") or {}
            extra = {
                "dagster/column_schema": dg.TableSchema(
                    columns=[
                        dg.TableColumn(
                            name,
                            data_type,
                            description=(described.get(name) or {}).get("description") or None,
                        )
                        for name, data_type in columns[relation]
                    ]
                )
            }
            if node.get("config", {}).get("materialized") != "view":
                schema, table = relation
                count = con.execute(f'select count(*) from "{schema}"."{table}"').fetchone()[0]
                extra["dagster/row_count"] = int(count)
            yield output.with_metadata({**output.metadata, **extra})
