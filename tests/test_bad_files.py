"""Never silently wrong (issue 9): CRM snapshots whose accounting follows the landed files, and
files the reader cannot read, rejected as a whole while every other file loads.

All on small files written here, with the loader (lib/landing.py) and the shipped registry.
"""

import gzip
import os
import shutil
from pathlib import Path

import duckdb
import pytest

from dagster_project import paths
from dagster_project.lib import landing, quality, sources

REGISTRY = sources.load_registry(paths.SOURCES_FILE)
ACCOUNTS_HEADER = (
    "account_id,account_name,segment,industry,plan_tier,sales_channel,csm_owner,"
    "region,created_at,churned_at,churn_reason\n"
)
EVENTS_HEADER = "event_id,account_id,user_id,event_name,occurred_at,properties\n"
SF_HEADER = (
    "Id,Name,Segment__c,Industry,Plan_Tier__c,Sales_Channel__c,CSM_Owner__c,"
    "BillingCountry,CreatedDate,Churn_Date__c,Churn_Reason__c\n"
)


def sf_row(n: int, name: str) -> str:
    return f"001{n:03d},{name},SMB,tech,pro,Direct,ann,DE,2026-01-{n:02d},,\n"


def write(root: Path, rel: str, data: str | bytes) -> Path:
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(data, bytes):
        path.write_bytes(data)
    else:
        path.write_text(data)
    return path


def manifest(con, table: str) -> list[tuple]:
    return con.execute(
        """select file, status, duplicate_of, rows_landed, rows_loaded,
        rows_duplicate, rows_quarantined from raw.landed_files where table_name = ?
        order by file""",
        [table],
    ).fetchall()


def reconciles(database: Path) -> list[str]:
    """The failures of the blocking reconciliation suite (expectations/raw_landed_files.json)."""
    outcome = quality.validate_table(
        database, "raw", "landed_files", paths.EXPECTATIONS_DIR / "raw_landed_files.json"
    )
    return [o.message for o in outcome.failures if o.severity == quality.ERROR]


# --------------------------------------------------------------------------------------------
# 1. CRM snapshots: the counts are a function of the landed files


def test_overlapping_crm_snapshots_count_the_same_on_every_run_and_reconcile(tmp_path):
    zone = tmp_path / "landing"
    # the case: a 7-account snapshot, then a delta the next day replacing 5 of them
    write(
        zone,
        "salesforce/Account_2026-06-28.csv",
        SF_HEADER + "".join(sf_row(n, f"Old{n}") for n in range(1, 8)),
    )
    write(
        zone,
        "salesforce/Account_2026-06-29_delta.csv",
        SF_HEADER + "".join(sf_row(n, f"New{n}") for n in range(1, 6)),
    )
    expected = [
        ("salesforce/Account_2026-06-28.csv", "loaded", None, 7, 2, 5, 0),
        ("salesforce/Account_2026-06-29_delta.csv", "loaded", None, 5, 5, 0, 0),
    ]
    database = tmp_path / "w.duckdb"
    for run in range(3):
        with duckdb.connect(str(database)) as con:
            result = landing.load_table(con, zone, landing.ACCOUNTS, REGISTRY)
            assert manifest(con, "accounts") == expected, f"run {run + 1}"
            assert (result.rows_landed, result.rows_loaded, result.rows_duplicate) == (12, 7, 5)
            assert con.execute(
                "select account_id, account_name from raw.accounts order by 1"
            ).fetchall() == (
                [(f"001{n:03d}", f"New{n}") for n in range(1, 6)]
                + [("001006", "Old6"), ("001007", "Old7")]
            )
        assert reconciles(database) == []

    # the older snapshot delivered again under a later name: a duplicate, the delta still wins
    shutil.copy(
        zone / "salesforce/Account_2026-06-28.csv",
        zone / "salesforce/Account_2026-06-30_resent.csv",
    )
    for run in range(2):
        with duckdb.connect(str(database)) as con:
            landing.load_table(con, zone, landing.ACCOUNTS, REGISTRY)
            assert manifest(con, "accounts") == expected + [
                (
                    "salesforce/Account_2026-06-30_resent.csv",
                    "duplicate",
                    "salesforce/Account_2026-06-28.csv",
                    7,
                    0,
                    7,
                    0,
                )
            ], f"run {run + 1}"
            assert con.execute(
                "select account_name from raw.accounts where account_id = '001001'"
            ).fetchall() == [("New1",)]
        assert reconciles(database) == []


def test_crm_snapshots_landed_in_either_order_end_with_the_same_counts(tmp_path):
    older = SF_HEADER + "".join(sf_row(n, f"Old{n}") for n in range(1, 8))
    delta = SF_HEADER + "".join(sf_row(n, f"New{n}") for n in range(1, 6))
    results = []
    for order in (("28", "29"), ("29", "28")):
        zone = tmp_path / "-".join(order)
        with duckdb.connect(str(tmp_path / f"{'-'.join(order)}.duckdb")) as con:
            for day in order:
                name = "Account_2026-06-28.csv" if day == "28" else "Account_2026-06-29_delta.csv"
                write(zone, f"salesforce/{name}", older if day == "28" else delta)
                landing.load_table(con, zone, landing.ACCOUNTS, REGISTRY)
            landing.load_table(con, zone, landing.ACCOUNTS, REGISTRY)
            results.append(
                (
                    manifest(con, "accounts"),
                    con.execute(
                        "select * exclude (_line) from raw.accounts order by account_id"
                    ).fetchall(),
                )
            )
    assert results[0] == results[1]
    assert [r[3:6] for r in results[0][0]] == [(7, 2, 5), (5, 5, 0)]


# --------------------------------------------------------------------------------------------
# 2. Files that cannot be read: rejected whole, named, the rest loads


@pytest.fixture
def zone(tmp_path) -> Path:
    root = tmp_path / "landing"
    write(root, "crm/accounts.csv", ACCOUNTS_HEADER + "a1,A,SMB,x,x,x,x,x,2026-01-01,,\n")
    write(root, "product/events/good.csv", EVENTS_HEADER + "e1,a1,u1,login,2026-01-02,{}\n")
    return root


def load_events(con, root: Path, registry=REGISTRY) -> landing.LoadResult:
    landing.load_table(con, root, landing.ACCOUNTS, registry)
    return landing.load_table(con, root, landing.EVENTS, registry)


def rejected(con) -> list[tuple]:
    return con.execute("""select file, reason, line from raw.landed_files
        where status = 'rejected' order by file""").fetchall()


def test_each_kind_of_unreadable_file_is_rejected_and_the_others_load(zone, tmp_path):
    events = "product/events/"
    write(zone, events + "empty.csv", b"")
    lines = b"".join(
        b'{"event_id":"g%d","account_id":"a1","event_name":"login",'
        b'"occurred_at":"2026-01-03"}\n' % i
        for i in range(3000)
    )
    packed = gzip.compress(lines, mtime=0)
    write(zone, events + "truncated.jsonl.gz", packed[: len(packed) // 2])
    write(zone, events + "corrupt.parquet", b"PAR1" + b"\0" * 64 + b"PAR1")
    write(
        zone,
        events + "latin1.csv",
        EVENTS_HEADER.encode()
        + 'e2,a1,u1,login,2026-01-02,"{""city"": ""Bogotá""}"\n'.encode("latin-1"),
    )
    # line 10 is 2.2 MB, over DuckDB's default 2 MB line, which the sniffer reports as line 1
    write(
        zone,
        events + "long_line.csv",
        EVENTS_HEADER
        + "e3,a1,u1,login,2026-01-02,{}\n" * 8
        + 'e4,a1,u1,login,2026-01-02,"'
        + "x" * 2_200_000
        + '"\n',
    )

    with duckdb.connect(str(tmp_path / "w.duckdb")) as con:
        result = load_events(con, zone)
        assert rejected(con) == [
            (
                "product/events/corrupt.parquet",
                (
                    "not a readable Parquet file: Footer length "
                    "error in file 'product/events/corrupt.parquet'"
                ),
                None,
            ),
            ("product/events/empty.csv", "empty file (0 bytes)", None),
            (
                "product/events/latin1.csv",
                (
                    "not valid UTF-8 text; set the source's `encoding` "
                    "(latin-1 or cp1252) in config/sources.yml"
                ),
                2,
            ),
            (
                "product/events/long_line.csv",
                (
                    "a line is longer than max_line_size (2097152 "
                    "bytes; raise it for the source in config/sources.yml)"
                ),
                10,
            ),
            (
                "product/events/truncated.jsonl.gz",
                "Unexpected end of GZIP stream: product/events/truncated.jsonl.gz",
                None,
            ),
        ]
        assert [f for f, _ in result.rejected] == [r[0] for r in rejected(con)]
        assert con.execute("select event_id from raw.events").fetchall() == [("e1",)]
        assert [m for m in manifest(con, "events") if m[1] == "loaded"] == [
            ("product/events/good.csv", "loaded", None, 1, 1, 0, 0)
        ]
        # a rejected file is read again on the next run: fixed, it loads
        write(zone, events + "empty.csv", EVENTS_HEADER + "e5,a1,u1,login,2026-01-04,{}\n")
        load_events(con, zone)
        assert "product/events/empty.csv" not in [r[0] for r in rejected(con)]
        assert con.execute("select event_id from raw.events order by 1").fetchall() == [
            ("e1",),
            ("e5",),
        ]
    assert reconciles(tmp_path / "w.duckdb") == []


def test_ragged_rows_are_quarantined_by_physical_line(zone, tmp_path):
    write(
        zone,
        "product/events/ragged.csv",
        EVENTS_HEADER
        + "e2,a1,u1,login,2026-01-02,{}\n"
        + "e3,a1\n"  # line 3: too few fields
        + "e4,a1,u1,login,2026-01-02,{},surplus\n"  # line 4: too many
        + "e5,a1,u1,login,2026-01-03,not json\n",
    )  # line 5: a row the loader rejects
    write(
        zone,
        "product/events/long.jsonl",
        '{"event_id":"j1","account_id":"a1","event_name":"login","occurred_at":"2026-01-01"}\n'
        + '{"event_id":"j2","blob":"'
        + "x" * 2_200_000
        + '"}\n'
        + '{"event_id":"j3","account_id":"a1","event_name":"login","occurred_at":"2026-01-01"}\n',
    )
    with duckdb.connect(str(tmp_path / "w.duckdb")) as con:
        result = load_events(con, zone)
        assert result.rejected == []
        assert con.execute("""select file, line, column_name, reason, left(raw_record, 30)
            from quarantine.rejected_rows order by file, line""").fetchall() == [
            (
                "product/events/long.jsonl",
                2,
                None,
                "line longer than max_line_size",
                '{"event_id":"j2","blob":"xxxxx',
            ),
            (
                "product/events/ragged.csv",
                3,
                None,
                "ragged row: 2 fields, the header has 6",
                "e3,a1",
            ),
            (
                "product/events/ragged.csv",
                4,
                None,
                "ragged row: 7 fields, the header has 6",
                "e4,a1,u1,login,2026-01-02,{},s",
            ),
            (
                "product/events/ragged.csv",
                5,
                "properties",
                "not a JSON object: not json",
                '{"event_id":"e5","account_id":',
            ),
        ]
        assert con.execute(
            "select event_id, _file, _line from raw.events order by 1"
        ).fetchall() == [
            ("e1", "product/events/good.csv", 2),
            ("e2", "product/events/ragged.csv", 2),
            ("j1", "product/events/long.jsonl", 1),
            ("j3", "product/events/long.jsonl", 3),
        ]
        assert [m for m in manifest(con, "events") if m[0] != "product/events/good.csv"] == [
            ("product/events/long.jsonl", "loaded", None, 3, 2, 0, 1),
            ("product/events/ragged.csv", "loaded", None, 4, 1, 0, 3),
        ]


def test_a_source_declares_its_encoding_and_line_size(zone, tmp_path):
    custom = sources.parse_registry(
        {
            "sources": {
                "accounts": {"table": "accounts", "files": ["crm/accounts.csv"]},
                "legacy": {
                    "table": "events",
                    "files": ["legacy/*.csv"],
                    "encoding": "cp1252",
                    "max_line_size": 4_000_000,
                },
                "latin": {"table": "events", "files": ["latin/*.csv"], "encoding": "latin-1"},
            }
        },
        {t.name: tuple(t.columns) for t in landing.TABLES},
    )
    # cp1252: € is 0x80, which latin-1 reads as a control character
    write(
        zone,
        "legacy/export.csv",
        EVENTS_HEADER.encode()
        + 'e2,a1,u1,login,2026-01-02,"{""price"": ""5 €""}"\n'.encode("cp1252")
        + b'e3,a1,u1,login,2026-01-02,"{""blob"": ""'
        + b"x" * 2_200_000
        + b'""}"\n',
    )
    write(
        zone,
        "latin/export.csv",
        EVENTS_HEADER.encode()
        + 'e4,a1,u1,login,2026-01-02,"{""city"": ""Bogotá""}"\n'.encode("latin-1"),
    )
    # 0x81 is undefined in cp1252: rejected at its line
    write(
        zone,
        "legacy/broken.csv",
        EVENTS_HEADER.encode()
        + b"e5,a1,u1,login,2026-01-02,{}\n"
        + b"e6,a1,u1,login\x81,2026-01-02,{}\n",
    )
    with duckdb.connect(str(tmp_path / "w.duckdb")) as con:
        load_events(con, zone, custom)
        assert con.execute(
            "select event_id, properties, length(properties) from raw.events order by 1"
        ).fetchall() == [
            ("e2", '{"price": "5 €"}', 16),
            ("e3", '{"blob": "' + "x" * 2_200_000 + '"}', 2_200_012),
            ("e4", '{"city": "Bogotá"}', 18),
        ]
        assert rejected(con) == [("legacy/broken.csv", "not valid cp1252 text", 3)]


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        (
            {"encoding": "utf-16"},
            "source 'x': encoding 'utf-16' is not one of utf-8, latin-1, cp1252",
        ),
        (
            {"max_line_size": 10},
            "source 'x': max_line_size must be a whole number of bytes >= 1024",
        ),
    ],
)
def test_a_bad_encoding_or_line_size_is_a_registry_error(entry, message):
    with pytest.raises(sources.RegistryError) as error:
        sources.parse_registry(
            {"sources": {"x": {"table": "events", "files": ["a/*.csv"], **entry}}},
            {t.name: tuple(t.columns) for t in landing.TABLES},
        )
    assert str(error.value) == message


def test_a_file_rejected_in_a_crm_table_loads_the_others(tmp_path):
    zone = tmp_path / "landing"
    write(zone, "salesforce/Account_1.csv", SF_HEADER + sf_row(1, "One"))
    write(zone, "salesforce/Account_2.csv", b"")
    with duckdb.connect(str(tmp_path / "w.duckdb")) as con:
        result = landing.load_table(con, zone, landing.ACCOUNTS, REGISTRY)
        assert result.rejected == [("salesforce/Account_2.csv", "empty file (0 bytes)")]
        assert manifest(con, "accounts") == [
            ("salesforce/Account_1.csv", "loaded", None, 1, 1, 0, 0),
            ("salesforce/Account_2.csv", "rejected", None, 0, 0, 0, 0),
        ]
        assert con.execute("select account_id from raw.accounts").fetchall() == [("001001",)]
    assert os.path.getsize(zone / "salesforce/Account_2.csv") == 0
