"""The catalogue's segment groups and journeys per segment (SPEC §4.1), parsed and validated."""

import copy
import datetime as dt

import duckdb
import pytest
import yaml

from dagster_project import paths
from dagster_project.lib import config_models
from dagster_project.lib.catalogue import CatalogueError, parse_catalogue, write_catalogue


@pytest.fixture
def doc() -> dict:
    return yaml.safe_load(paths.catalogue_file().read_text())


def test_default_groups_and_journeys(doc):
    cat = parse_catalogue(doc)
    assert cat.segment_groups == [
        {"segment_group": "sales_led", "segment": s} for s in ("Enterprise", "Mid-Market", "SMB")
    ]
    followers = {}
    for row in cat.journey_segments:
        followers.setdefault(row["journey"], []).append(row["segment"])
    assert followers == {
        "implementation": ["Enterprise", "Mid-Market", "SMB"],
        "adoption": ["Enterprise", "Mid-Market", "SMB"],
        "product_led": ["PLG"],
    }
    product_led = [r["milestone"] for r in cat.journeys if r["journey"] == "product_led"]
    assert product_led == [
        "signed_up",
        "first_login",
        "first_meaningful_action",
        "first_value",
        "regular_usage",
    ]


def test_a_group_of_segments_on_different_clocks_is_refused(doc):
    doc["segment_groups"]["everyone"] = ["SMB", "PLG"]
    with pytest.raises(CatalogueError) as err:
        parse_catalogue(doc)
    message = str(err.value)
    assert "segment group 'everyone'" in message
    assert "SMB contract_signed -> value_achieved" in message
    assert "PLG signed_up -> first_value" in message


def test_a_group_of_segments_sharing_a_clock_is_accepted(doc):
    # PLG-like segments on the same clock may be pooled
    doc["segments"]["Startup"] = {"start_milestone": "signed_up", "value_milestone": "first_value"}
    doc["segment_groups"]["self_serve"] = ["PLG", "Startup"]
    groups = parse_catalogue(doc).segment_groups
    assert {"segment_group": "self_serve", "segment": "Startup"} in groups


def test_a_journey_listing_an_unknown_segment_is_refused(doc):
    doc["journeys"]["product_led"]["segments"] = ["PLG", "Freemium"]
    with pytest.raises(
        CatalogueError,
        match=r"journey 'product_led' lists segments the catalogue "
        r"does not have: \['Freemium'\]",
    ):
        parse_catalogue(doc)


@pytest.mark.parametrize(
    "change, message",
    [
        (
            lambda d: d["segment_groups"].update(SMB=["Enterprise"]),
            "segment group 'SMB' has the name of a segment",
        ),
        (
            lambda d: d["segment_groups"].update(big=["Enterprise", "Large"]),
            r"segment group 'big' lists unknown segments: \['Large'\]",
        ),
        (
            lambda d: d["segment_groups"].update(empty=[]),
            "segment group 'empty' needs a non-empty list of segments",
        ),
        (
            lambda d: d["journeys"]["adoption"].update(segments=[]),
            "journey 'adoption': `segments` must be a non-empty list",
        ),
    ],
)
def test_other_mistakes_name_the_entry(doc, change, message):
    change(doc)
    with pytest.raises(CatalogueError, match=message):
        parse_catalogue(doc)


def test_a_journey_without_segments_is_followed_by_every_segment(doc):
    del doc["journeys"]["adoption"]["segments"]
    del doc["segment_groups"]
    cat = parse_catalogue(doc)
    assert [r["segment"] for r in cat.journey_segments if r["journey"] == "adoption"] == [
        "Enterprise",
        "Mid-Market",
        "SMB",
        "PLG",
        "*",
    ]
    assert cat.segment_groups == []


def test_the_tables_are_written_with_their_descriptions(doc):
    con = duckdb.connect()
    write_catalogue(con, parse_catalogue(copy.deepcopy(doc)))
    got = dict(
        con.execute(
            "select table_name, comment from duckdb_tables() where schema_name = 'config'"
        ).fetchall()
    )
    assert set(got) >= {"journey_segments", "segment_groups"}
    assert all(got.values())
    assert con.execute(
        "select count(*) from duckdb_columns() where schema_name = 'config' and comment is null"
    ).fetchone() == (0,)
    assert con.execute("select count(*) from config.segment_groups").fetchone() == (3,)


# SPEC §9: the analyses' defaults live in the catalogue and are validated like the rest.


def test_default_analysis_settings(doc):
    cat = parse_catalogue(doc)
    by_segment = {s["segment"]: s for s in cat.segments}
    assert {
        s: (
            by_segment[s]["stall_after_days"],
            by_segment[s]["benchmark_low_days"],
            by_segment[s]["benchmark_high_days"],
        )
        for s in ("Enterprise", "Mid-Market", "SMB", "PLG")
    } == {
        "Enterprise": (21.0, 45.0, 90.0),
        "Mid-Market": (14.0, 30.0, 60.0),
        "SMB": (7.0, 7.0, 30.0),
        "PLG": (3.0, 1.0, 7.0),
    }
    assert cat.experiments == [
        {
            "experiment": "onboarding_ab",
            "arm_column": "onboarding_variant",
            "control_arm": "A",
            "alpha": 0.05,
        }
    ]
    assert cat.features == [
        {
            "feature": "shared_dashboards",
            "event_name": "dashboard_shared",
            "released_at": dt.date(2025, 9, 1),
        },
        {"feature": "search", "event_name": "search_performed", "released_at": dt.date(2025, 9, 1)},
    ]


def test_experiment_alpha_defaults_to_five_percent(doc):
    del doc["experiments"]["onboarding_ab"]["alpha"]
    assert parse_catalogue(doc).experiments[0]["alpha"] == 0.05


@pytest.mark.parametrize(
    "change, message",
    [
        (lambda d: d["segments"]["SMB"].update(benchmark_days=[30, 7]), "benchmark_days"),
        (lambda d: d["segments"]["SMB"].update(benchmark_days=[7]), "benchmark_days"),
        (lambda d: d["segments"]["SMB"].update(stall_after_days=-1), "stall_after_days"),
        (
            lambda d: d["experiments"]["onboarding_ab"].update(arm_column="account_name"),
            "arm_column",
        ),
        (lambda d: d["experiments"]["onboarding_ab"].update(control_arm=""), "control_arm"),
        (lambda d: d["experiments"]["onboarding_ab"].update(alpha=1.5), "alpha"),
        (lambda d: d["features"]["search"].update(released_at="September"), "released_at"),
        (lambda d: d["features"]["search"].pop("event"), "event"),
    ],
)
def test_bad_analysis_settings_are_refused(doc, change, message):
    change(doc)
    with pytest.raises(CatalogueError, match=message):
        parse_catalogue(doc)


def test_the_analysis_tables_are_written(doc):
    con = duckdb.connect()
    write_catalogue(con, parse_catalogue(copy.deepcopy(doc)))
    assert con.execute(
        "select experiment, arm_column, control_arm, alpha from config.experiments"
    ).fetchall() == [("onboarding_ab", "onboarding_variant", "A", 0.05)]
    assert con.execute(
        "select feature, released_at from config.features order by feature"
    ).fetchall() == [("search", dt.date(2025, 9, 1)), ("shared_dashboards", dt.date(2025, 9, 1))]


# Issue 11: the configuration files are read through typed models (pydantic) that refuse keys
# they do not know, with the same one-line messages, and their JSON Schemas are committed.


@pytest.mark.parametrize(
    "change, message",
    [
        (
            lambda d: d["segments"]["SMB"].update(target_day=30),
            "segment 'SMB': unknown key target_day",
        ),
        (lambda d: d["milestones"][2].update(colour="red"), "milestone #3: unknown key colour"),
        (lambda d: d.update(milestone_targets={}), "the file: unknown key milestone_targets"),
        (
            lambda d: d["milestones"][10]["active_days"].pop("within_days"),
            "milestone #11 active_days: missing within_days",
        ),
        (
            lambda d: d["segments"]["SMB"].update(benchmark_days=[7]),
            "segment 'SMB' benchmark_days: needs 2 items, got 1",
        ),
        (
            lambda d: d["experiments"]["onboarding_ab"].update(alpha=1.5),
            "experiment 'onboarding_ab' alpha: must be less than 1, got 1.5",
        ),
    ],
)
def test_a_key_the_catalogue_does_not_know_or_a_wrong_value_is_one_sentence(doc, change, message):
    change(doc)
    with pytest.raises(CatalogueError) as error:
        parse_catalogue(doc)
    assert str(error.value) == message


@pytest.mark.parametrize(
    "path, model",
    list(config_models.schemas().items()),
    ids=lambda v: getattr(v, "name", None) or getattr(v, "__name__", ""),
)
def test_the_committed_json_schema_is_the_models(path, model):
    # regenerate with `python -m dagster_project.lib.config_models`
    assert path.read_text() == config_models.json_schema_text(model)
    assert (
        f"$schema={path.name}"
        in path.with_name(path.name.removesuffix(".schema.json") + ".yml")
        .read_text()
        .splitlines()[0]
    )
