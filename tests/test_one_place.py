"""Facts declared once (issue 11): the TTV bands live in dbt_project.yml's `ttv_bands` var and
nowhere else in the code, the models, the suites or the report; everything reads them there."""

from pathlib import Path

import yaml

from dagster_project import paths
from dagster_project.lib import dbt_manifest, quality, report

CODE = [
    *Path(paths.PROJECT_DIR, "dagster_project").rglob("*.py"),
    *paths.DBT_PROJECT_DIR.glob("models/**/*.sql"),
    *paths.DBT_PROJECT_DIR.glob("macros/**/*.sql"),
    *paths.EXPECTATIONS_DIR.glob("*.json"),
]


def test_the_bands_are_written_only_in_dbt_project_yml():
    project = yaml.safe_load((paths.DBT_PROJECT_DIR / "dbt_project.yml").read_text())
    bands = [b["band"] for b in project["vars"]["ttv_bands"]]
    assert dbt_manifest.ttv_bands() == bands == report.BANDS
    for path in CODE:
        text = path.read_text()
        for band in bands:
            for quoted in (f"'{band}'", f'"{band}"'):
                assert quoted not in text, f"{path} writes the band {quoted}: read ttv_bands"


def test_a_suite_reads_the_bands_where_it_says_so():
    suite = quality.load_suite(paths.EXPECTATIONS_DIR / "account_ttv.json")
    value_sets = [
        e.value_set
        for e in suite.expectations
        if getattr(e, "column", None) == "ttv_band" and hasattr(e, "value_set")
    ]
    assert value_sets == [[*dbt_manifest.ttv_bands(), "not_reached", "data_issue"]]
