"""What an operator sees in the Dagster UI: dbt models grouped by layer, every dbt test check
described, dbt assets with column types and row counts, runs tagged with warehouse and trigger."""

import dagster as dg
import duckdb

from dagster_project.definitions import defs
from dagster_project.lib.dbt_translation import describe_test


def test_dbt_models_are_grouped_by_layer():
    graph = defs.resolve_asset_graph()
    group = {key.to_user_string(): graph.get(key).group_name for key in graph.get_all_asset_keys()}
    assert group["staging/stg_crm__accounts"] == "staging"
    assert group["intermediate/int_accounts_resolved"] == "intermediate"
    assert group["marts/account_ttv"] == "marts"
    assert "default" not in set(group.values())


def test_every_dbt_test_check_has_a_description():
    specs = [spec for assets in defs.assets if isinstance(assets, dg.AssetsDefinition)
             for spec in assets.check_specs]
    dbt_specs = [s for s in specs if not s.name.startswith("gx_")]
    assert dbt_specs
    assert all(s.description for s in dbt_specs), [s.name for s in dbt_specs if not s.description]
    by_name = {s.name: s.description for s in dbt_specs}
    assert by_name["unique_int_accounts_resolved_account_id"] == (
        "Every value of `int_accounts_resolved.account_id` is unique.")


def test_a_test_description_comes_from_its_arguments_or_its_own_words():
    accepted = {"name": "t", "column_name": "status",
                "test_metadata": {"name": "accepted_values",
                                  "kwargs": {"column_name": "status", "values": ["a", "b"]}}}
    assert describe_test(accepted, "m") == "`m.status` only holds a, b."
    own = {"name": "t", "description": "Shares add up to 1."}
    assert describe_test(own, "m") == "Shares add up to 1."


def test_a_built_model_carries_its_column_types_and_row_count(small_run):
    """The materialization of marts/account_ttv in the fixture's run has the table's schema."""
    warehouse, outcome = small_run
    with duckdb.connect(str(warehouse), read_only=True) as con:
        rows = con.execute("select count(*) from marts.account_ttv").fetchone()[0]
        types = dict(con.execute(
            "select column_name, data_type from information_schema.columns "
            "where table_schema = 'marts' and table_name = 'account_ttv'").fetchall())
    meta = outcome.materializations["marts/account_ttv"]
    assert meta["dagster/row_count"] == rows
    schema = {c.name: c.type for c in meta["dagster/column_schema"].columns}
    assert schema == types
