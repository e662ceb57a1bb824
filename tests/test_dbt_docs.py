"""What dbt docs show of the sources: every source table and column described, and the config
tables' words the same in dbt docs and in the DuckDB comments a SQL client shows (issue 15)."""

import json

import duckdb

from dagster_project import paths
from dagster_project.lib import dbt_sources, schema
from dagster_project.lib.catalogue import TABLE_COLUMNS, load_catalogue, write_catalogue
from dagster_project.lib.dbt_manifest import prepared_manifest


def source_nodes() -> dict[str, dict]:
    manifest = prepared_manifest()
    nodes = json.loads(manifest.read_text())["sources"].values()
    return {f"{n['source_name']}.{n['name']}": n for n in nodes}


def test_every_source_table_and_column_is_described():
    sources = source_nodes()
    assert {"crm.accounts", "product.events", "config.milestones", "config.features"} <= set(
        sources
    )
    undescribed = [name for name, node in sources.items() if not node["description"].strip()]
    undescribed += [
        f"{name}.{column}"
        for name, node in sources.items()
        for column, about in node["columns"].items()
        if not about["description"].strip()
    ]
    assert undescribed == []
    # a source listed without its columns would pass the check above with nothing described
    assert all(node["columns"] for node in sources.values()), [
        name for name, node in sources.items() if not node["columns"]
    ]


def test_the_canonical_sources_are_written_from_the_schema_declaration():
    """crm and product list config/schema.yml's tables, columns and descriptions, as
    `python -m dagster_project.lib.dbt_sources` (make install) writes them: committed, and current."""
    for group in dbt_sources.GROUPS:
        assert dbt_sources.source_file(group).read_text() == dbt_sources.render(group)
    sources = source_nodes()
    for table in schema.load_schema():
        node = sources[f"{table.group}.{table.name}"]
        assert node["description"] == table.description
        assert {c: node["columns"][c]["description"] for c in table.columns} == dict(
            table.column_descriptions
        )


def test_the_config_source_lists_every_column_the_catalogue_writes():
    sources = source_nodes()
    assert {
        name.split(".")[1]: list(node["columns"])
        for name, node in sources.items()
        if name.startswith("config.")
    } == {t: list(c) for t, c in TABLE_COLUMNS.items()}


def test_config_tables_carry_the_dbt_docs_words_as_duckdb_comments():
    con = duckdb.connect()
    write_catalogue(con, load_catalogue(paths.CATALOGUE_FILE))
    comments = {
        (r[0], r[1]): r[2]
        for r in con.execute(
            "select table_name, column_name, comment from duckdb_columns() where schema_name = 'config'"
        ).fetchall()
    }
    comments |= {
        (r[0], None): r[1]
        for r in con.execute(
            "select table_name, comment from duckdb_tables() where schema_name = 'config'"
        ).fetchall()
    }
    docs = {}
    for name, node in source_nodes().items():
        if name.startswith("config."):
            docs[(node["name"], None)] = node["description"]
            docs |= {
                (node["name"], c): about["description"] for c, about in node["columns"].items()
            }
    assert comments == docs
    # written once: a column of the same name in two tables is described by a YAML reference
    text = (paths.DBT_PROJECT_DIR / "models/staging/config/_config__sources.yml").read_text()
    assert text.count("The milestone's name in the catalogue.") == 1
    assert (
        comments[("journeys", "milestone")]
        == comments[("milestones", "milestone")]
        == ("The milestone's name in the catalogue.")
    )
