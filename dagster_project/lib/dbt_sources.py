"""The dbt source YAML of the canonical tables, written from their one declaration.

config/schema.yml declares the tables the loader writes (columns, types, descriptions); dbt docs
shows a source column's description only from the source YAML. So the `crm` and `product`
sources (`dbt_models/models/staging/<group>/_<group>__sources.yml`) are generated from the
declaration, never edited by hand: `python -m dagster_project.lib.dbt_sources` rewrites them,
`make install` runs it before parsing dbt, and a test keeps the committed files equal to what it
writes. A new onboarding column in config/schema.yml reaches dbt docs with no YAML edited.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from dagster_project import paths
from dagster_project.lib import schema
from dagster_project.lib.landing import META_DESCRIPTIONS

# What each group's source is, for dbt docs (the tables and columns come from config/schema.yml)
GROUPS = {
    "crm": "CRM exports loaded by the Dagster ingest assets (canonical layout, SPEC §3), merged "
    "from their latest snapshot files.",
    "product": "Product-analytics events loaded by the Dagster ingest assets, deduplicated on "
    "event_id.",
}


def source_file(group: str) -> Path:
    return paths.DBT_PROJECT_DIR / "models" / "staging" / group / f"_{group}__sources.yml"


def render(group: str, declared=None) -> str:
    """The source YAML of one group (JSON strings are valid YAML scalars: no quoting rules)."""
    tables = [t for t in (declared or schema.load_schema()) if t.group == group]
    lines = [
        "# Generated from config/schema.yml by `python -m dagster_project.lib.dbt_sources` (make",
        "# install): edit the declaration, not this file (lib/dbt_sources.py).",
        "version: 2",
        "",
        "sources:",
        f"  - name: {group}",
        f"    description: {json.dumps(GROUPS[group], ensure_ascii=False)}",
        "    schema: raw",
        "    tables:",
    ]
    for table in tables:
        lines += [
            f"      - name: {table.name}",
            f"        description: {json.dumps(table.description, ensure_ascii=False)}",
            "        columns:",
        ]
        for column, text in [*table.column_descriptions, *META_DESCRIPTIONS.items()]:
            lines += [
                f"          - name: {column}",
                f"            description: {json.dumps(text, ensure_ascii=False)}",
            ]
    return "\n".join(lines) + "\n"


def write() -> list[Path]:
    declared = schema.load_schema(paths.SCHEMA_FILE)
    written = []
    for group in GROUPS:
        target = source_file(group)
        text = render(group, declared)
        if not target.exists() or target.read_text() != text:
            target.write_text(text)
        written.append(target)
    return written


if __name__ == "__main__":
    for path in write():
        print(f"dbt sources: {path.relative_to(paths.PROJECT_DIR)}")
    sys.exit(0)
