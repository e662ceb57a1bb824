"""The landing loader on small files written here: casts, quarantine lines and reasons, schema errors."""

import gzip
from pathlib import Path

import duckdb
import pytest

from dagster_project import paths
from dagster_project.lib import landing, schema, sources

REGISTRY = sources.load_registry(paths.SOURCES_FILE)

ACCOUNTS_HEADER = (
    "account_id,account_name,segment,industry,plan_tier,sales_channel,csm_owner,"
    "region,created_at,churned_at,churn_reason\n"
)
EVENTS_HEADER = "event_id,account_id,user_id,event_name,occurred_at,properties\n"


def write(root: Path, rel: str, text: str) -> None:
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


@pytest.fixture
def con(tmp_path):
    with duckdb.connect(str(tmp_path / "w.duckdb")) as con:
        yield con


def test_csv_rows_cast_to_utc_and_bad_rows_quarantined_with_physical_line(tmp_path, con):
    write(
        tmp_path,
        "crm/accounts.csv",
        ACCOUNTS_HEADER
        # line 2-3: a quoted name spanning two lines; created_at with a +02:00 offset
        + 'a1,"Acme\nInc",Enterprise,tech,pro,direct,ann,EU,2026-01-01T01:30:00+02:00,,\n'
        # line 4: date only means midnight UTC
        + "a2,Beta,PLG,retail,free,self-serve,,US,2026-01-02,,\n"
        # line 5: no key; line 6: unparseable timestamp
        + ",NoId,SMB,x,x,x,x,x,2026-01-01,,\n"
        + "a3,Bad,SMB,x,x,x,x,x,31/01/2026,,\n",
    )
    result = landing.load_table(con, tmp_path, landing.ACCOUNTS, REGISTRY)
    assert (result.rows_landed, result.rows_loaded, result.rows_quarantined) == (4, 2, 2)
    rows = con.execute(
        "select account_id, account_name, created_at::varchar, _line "
        "from raw.accounts order by account_id"
    ).fetchall()
    assert rows == [
        ("a1", "Acme\nInc", "2025-12-31 23:30:00", 2),
        ("a2", "Beta", "2026-01-02 00:00:00", 4),
    ]
    rejected = con.execute(
        "select file, line, column_name, reason from quarantine.rejected_rows order by line"
    ).fetchall()
    assert rejected == [
        ("crm/accounts.csv", 5, "account_id", "missing account_id"),
        ("crm/accounts.csv", 6, "created_at", "unparseable timestamp: 31/01/2026"),
    ]


def test_events_from_every_format_deduplicated_and_accounted_for(tmp_path, con):
    write(tmp_path, "crm/accounts.csv", ACCOUNTS_HEADER + "a1,A,SMB,x,x,x,x,x,2026-01-01,,\n")
    write(
        tmp_path,
        "product/events/1.csv",
        EVENTS_HEADER
        + 'e1,a1,u1,login,2026-01-06T10:00:00+01:00,"{""k"": 1}"\n'
        + 'e1,a1,u1,login,2026-01-06T10:00:00+01:00,"{""k"": 1}"\n'  # duplicate in the file
        + "e2,zz,u1,login,2026-01-06T10:00:00Z,{}\n",
    )  # unknown account, line 4
    (tmp_path / "product/events/2.jsonl.gz").write_bytes(
        gzip.compress(
            b'{"event_id":"e1","account_id":"a1","user_id":"u1","event_name":"login",'
            b'"occurred_at":"2026-01-06T09:00:00Z","properties":{}}\n'  # duplicate across files
            b"not json\n"  # line 2
            b'{"event_id":"e3","account_id":"a1","event_name":"signed_up",'
            b'"occurred_at":"2026-01-07T09:00:00Z"}\n',
            mtime=0,
        )
    )
    con.execute(
        """copy (select 'e4' as event_id, 'a1' as account_id, 'u2' as user_id,
                   'project_created' as event_name, '2026-01-08T00:00:00Z' as occurred_at,
                   '{"p": true}' as properties) to '"""
        + str(tmp_path / "product/events/3.parquet")
        + "' (format parquet)"
    )
    landing.load_table(con, tmp_path, landing.ACCOUNTS, REGISTRY)
    result = landing.load_table(con, tmp_path, landing.EVENTS, REGISTRY)
    assert (
        result.rows_landed,
        result.rows_loaded,
        result.rows_duplicate,
        result.rows_quarantined,
    ) == (7, 3, 2, 2)
    events = con.execute(
        "select event_id, occurred_at::varchar, properties, _file, _line "
        "from raw.events order by event_id"
    ).fetchall()
    assert events == [
        ("e1", "2026-01-06 09:00:00", '{"k": 1}', "product/events/1.csv", 2),
        ("e3", "2026-01-07 09:00:00", None, "product/events/2.jsonl.gz", 3),
        ("e4", "2026-01-08 00:00:00", '{"p": true}', "product/events/3.parquet", 1),
    ]
    assert con.execute(
        "select file, line, reason from quarantine.rejected_rows order by file"
    ).fetchall() == [
        ("product/events/1.csv", 4, "unknown account_id: zz"),
        ("product/events/2.jsonl.gz", 2, "line is not a JSON object"),
    ]
    per_file = con.execute(
        "select file, rows_landed, rows_loaded, rows_duplicate, "
        "rows_quarantined from raw.landed_files order by file"
    ).fetchall()
    assert per_file == [
        ("crm/accounts.csv", 1, 1, 0, 0),
        ("product/events/1.csv", 3, 1, 1, 1),
        ("product/events/2.jsonl.gz", 3, 1, 1, 1),
        ("product/events/3.parquet", 1, 1, 0, 0),
    ]


def test_a_file_missing_columns_stops_its_source_and_keeps_what_was_loaded(tmp_path, con):
    write(tmp_path, "crm/accounts.csv", ACCOUNTS_HEADER + "a1,A,SMB,x,x,x,x,x,2026-01-01,,\n")
    landing.load_table(con, tmp_path, landing.ACCOUNTS, REGISTRY)
    write(tmp_path, "crm/accounts.csv", "account_id,account_name\na1,A\n")
    with pytest.raises(landing.SchemaMismatch) as error:
        landing.load_table(con, tmp_path, landing.ACCOUNTS, REGISTRY)
    message = str(error.value)
    assert message.startswith("crm/accounts.csv: missing field(s) segment, industry")
    assert "for source 'accounts' (the file has account_id, account_name)" in message
    assert "churn_reason" in message
    assert con.execute("select account_id, segment from raw.accounts").fetchall() == [("a1", "SMB")]


def test_unknown_extra_columns_are_kept_not_fatal(tmp_path, con):
    write(
        tmp_path,
        "crm/accounts.csv",
        ACCOUNTS_HEADER.rstrip("\n")
        + ",Tier Notes\n"
        + "a1,A,SMB,x,x,x,x,x,2026-01-01,,,gold customer\n",
    )
    result = landing.load_table(con, tmp_path, landing.ACCOUNTS, REGISTRY)
    assert (result.rows_loaded, result.rows_quarantined) == (1, 0)
    assert con.execute("select account_id, _extra from raw.accounts").fetchall() == [
        ("a1", '{"Tier Notes":"gold customer"}')
    ]


def test_the_raw_tables_follow_the_schema_declaration_and_carry_its_descriptions(
    tmp_path, con, monkeypatch
):
    # one declaration (config/schema.yml, TTV_SCHEMA): a column added there is added to an
    # existing raw table, and the loader reads it from the file's column of the same name
    write(
        tmp_path,
        "crm/accounts.csv",
        ACCOUNTS_HEADER.replace("\n", ",tier_note\n")
        + "a1,Acme,Enterprise,tech,pro,direct,ann,EU,2026-01-01,,,gold\n",
    )
    landing.load_table(con, tmp_path, landing.ACCOUNTS, REGISTRY)
    declared = tmp_path / "schema.yml"
    declared.write_text(
        paths.SCHEMA_FILE.read_text().replace(
            "      churn_reason: {type: text",
            '      tier_note: {type: text, description: "A note."}\n      churn_reason: {type: text',
        )
    )
    monkeypatch.setenv("TTV_SCHEMA", str(declared))
    write(
        tmp_path,
        "crm/accounts.csv",
        ACCOUNTS_HEADER.replace("\n", ",tier_note\n")
        + "a1,Acme,Enterprise,tech,pro,direct,ann,EU,2026-01-01,,,platinum\n",
    )
    registry = sources.load_registry(paths.SOURCES_FILE)
    landing.load_table(con, tmp_path, landing.ACCOUNTS, registry)
    assert con.execute("select account_id, tier_note, _line from raw.accounts").fetchall() == [
        ("a1", "platinum", 2)
    ]
    assert con.execute(
        "select comment from duckdb_columns() where schema_name = 'raw' and "
        "table_name = 'accounts' and column_name = 'tier_note'"
    ).fetchall() == [("A note.",)]
    assert con.execute(
        "select count(*) from duckdb_columns() where schema_name = 'raw' and "
        "table_name in ('accounts', 'contracts', 'onboarding', 'events') and "
        "comment is null"
    ).fetchone() == (0,)


def test_a_schema_declaration_mistake_is_one_sentence(tmp_path):
    from dagster_project.lib import schema

    bad = tmp_path / "schema.yml"
    bad.write_text(paths.SCHEMA_FILE.read_text().replace("{type: boolean", "{type: bool"))
    with pytest.raises(schema.SchemaError) as error:
        schema.load_schema(bad)
    assert str(error.value) == (
        f"{bad}: tables.onboarding.columns.pre_onboarding.type: must be 'text', 'timestamp', "
        "'date', 'decimal', 'boolean' or 'json', got 'bool'"
    )


def test_the_raw_suites_take_their_columns_from_the_schema_declaration(tmp_path, monkeypatch):
    # expectations/raw_onboarding.json lists no onboarding column: its column set and one range
    # check per timestamp come from config/schema.yml, a column added there included
    from dagster_project.lib import quality

    declared = tmp_path / "schema.yml"
    declared.write_text(
        paths.SCHEMA_FILE.read_text().replace(
            "      full_value_at: {type: timestamp",
            '      security_review_at: {type: timestamp, description: "Security review passed."}\n'
            "      full_value_at: {type: timestamp",
        )
    )
    monkeypatch.setenv("TTV_SCHEMA", str(declared))
    suite = quality.load_suite(paths.EXPECTATIONS_DIR / "raw_onboarding.json")
    configs = [e.configuration for e in suite.expectations]
    (column_set,) = [
        c.kwargs["column_set"] for c in configs if c.type == "expect_table_columns_to_match_set"
    ]
    onboarding = schema.table("onboarding")
    assert column_set == list(onboarding.columns) and "security_review_at" in column_set
    ranges = [
        (
            c.kwargs["column"],
            str(c.kwargs["min_value"]),
            str(c.kwargs["max_value"]),
            c.to_json_dict()["severity"],
        )
        for c in configs
        if c.type == "expect_column_values_to_be_between"
    ]
    assert ranges == [
        (column, "2000-01-01", "2100-01-01", "critical")
        for column in onboarding.columns_of_type(schema.TIMESTAMP)
    ]
    assert len(ranges) == 9
