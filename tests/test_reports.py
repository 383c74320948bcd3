"""How reports show numbers, tables, times and dates to the people who receive them."""

import pandas as pd
import pytest

from preo_nb import reports


def test_a_table_shows_no_row_numbers_and_keeps_a_named_index_as_a_column():
    queue = pd.DataFrame({"id": ["rfr_1", "rfr_2"], "amount": [1.5, 2.0]}, index=[4, 9])  # a filtered frame
    page = reports.table(queue, money=["amount"]).to_html()
    assert "row_heading" not in page and ">9<" not in page  # no index column, no gaps in numbering
    by_type = pd.DataFrame({"items": [3]}, index=pd.Index(["food"], name="product_type"))
    shown = reports.table(by_type).to_html()
    assert ">product_type<" in shown and ">food<" in shown and "row_heading" not in shown


def test_times_are_shown_in_the_given_zone_and_the_column_names_it():
    orders = pd.DataFrame({"created": pd.to_datetime(["2026-08-31 10:49:00+00:00"], utc=True)})
    page = reports.table(orders, timezone="Europe/Amsterdam").to_html()
    assert ">created (Europe/Amsterdam)<" in page and ">2026-08-31 12:49<" in page
    assert "+00:00" not in page
    assert ">created (UTC)<" in reports.table(orders).to_html()
    assert orders["created"].dt.tz is not None  # the frame itself is unchanged


@pytest.mark.parametrize(
    ("value", "zone", "shown"),
    [
        ("2026-08-30", None, "30 August 2026"),
        ("2026-08-25T00:00:27Z", "Europe/Copenhagen", "25 August 2026, 02:00 (Europe/Copenhagen)"),
        ("2026-08-25T00:00:00Z", None, "25 August 2026, 00:00 (UTC)"),
    ],
)
def test_dates_in_titles_read_as_dates(value, zone, shown):
    assert reports.when(value, zone) == shown


def test_a_link_to_an_export_is_relative_to_the_report(tmp_path, monkeypatch):
    monkeypatch.setenv(reports.REPORT_DIR_ENV, str(tmp_path / "runs"))
    link = reports.link(tmp_path / "exports" / "candidates list.csv", "candidate list (CSV)").data
    assert link == "[candidate list (CSV)](../exports/candidates%20list.csv): `../exports/candidates list.csv`"
    assert str(tmp_path) not in link  # no local paths in a report that is forwarded
