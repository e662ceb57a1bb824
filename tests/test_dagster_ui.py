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


def dbt_check_specs():
    return [
        spec
        for assets in defs.assets
        if isinstance(assets, dg.AssetsDefinition)
        for spec in assets.check_specs
        if not spec.name.startswith("gx_")
    ]


def test_every_dbt_test_check_has_a_description_and_a_readable_name():
    """Issue 15: no "No description provided", no names cut to "accepted_valu...ding__unknown".
    The names are the tests' own `name:` in the dbt YAML (renaming them in the translator would
    break dagster-dbt's mapping of results to checks), in every layer."""
    dbt_specs = dbt_check_specs()
    assert dbt_specs
    assert all(s.description for s in dbt_specs), [s.name for s in dbt_specs if not s.description]
    by_name = {s.name: s.description for s in dbt_specs}
    assert by_name["resolved_accounts_account_id_unique"] == (
        "Every value of `int_accounts_resolved.account_id` is unique."
    )
    named = [s.name for s in dbt_specs]
    assert {s.asset_key.path[0] for s in dbt_specs} == {"staging", "intermediate", "marts"}
    unreadable = [n for n in named if len(n) > 40 or "__" in n]
    assert unreadable == []


def test_a_dbt_test_result_is_recorded_as_a_check_evaluation(small_run):
    """The named tests still map to their checks: a real run records each as an evaluation."""
    _, outcome = small_run
    evaluated = {(c.asset_key.to_user_string(), c.check_name) for c in outcome.checks}
    assert ("marts/account_ttv", "account_ttv_achieved_iff_value_at") in evaluated
    assert (
        "intermediate/int_accounts_resolved",
        "resolved_accounts_account_id_unique",
    ) in evaluated
    expected = {(s.asset_key.to_user_string(), s.name) for s in dbt_check_specs()}
    assert expected <= evaluated


def test_a_test_description_comes_from_its_arguments_or_its_own_words():
    accepted = {
        "name": "t",
        "column_name": "status",
        "test_metadata": {
            "name": "accepted_values",
            "kwargs": {"column_name": "status", "values": ["a", "b"]},
        },
    }
    assert describe_test(accepted, "m") == "`m.status` only holds a, b."
    own = {"name": "t", "description": "Shares add up to 1."}
    assert describe_test(own, "m") == "Shares add up to 1."


def test_a_built_model_carries_its_column_types_and_row_count(small_run):
    """The materialization of marts/account_ttv in the fixture's run has the table's schema."""
    warehouse, outcome = small_run
    with duckdb.connect(str(warehouse), read_only=True) as con:
        rows = con.execute("select count(*) from marts.account_ttv").fetchone()[0]
        types = dict(
            con.execute(
                "select column_name, data_type from information_schema.columns "
                "where table_schema = 'marts' and table_name = 'account_ttv'"
            ).fetchall()
        )
    meta = outcome.materializations["marts/account_ttv"]
    assert meta["dagster/row_count"] == rows
    schema = {c.name: c.type for c in meta["dagster/column_schema"].columns}
    assert schema == types


def test_dbt_tests_keep_their_rows_in_the_working_file_only(small_run):
    """store_failures: every dbt test's rows (none when it passed) in schema test_failures of
    the working file, read by lib/dbt_failures.py; the published file has no such schema."""
    from dagster_project import paths

    warehouse, _ = small_run
    stored_in = {}
    for path in (paths.working_warehouse_path(warehouse), warehouse):
        with duckdb.connect(str(path), read_only=True) as con:
            stored_in[path] = dict(
                con.execute(
                    "select table_name, estimated_size from duckdb_tables() "
                    "where schema_name = 'test_failures'"
                ).fetchall()
            )
    kept = stored_in[paths.working_warehouse_path(warehouse)]
    assert "account_ttv_achieved_iff_value_at" in kept
    assert "resolved_accounts_account_id_unique" in kept
    assert stored_in[warehouse] == {}
