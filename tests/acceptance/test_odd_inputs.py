"""Odd inputs that gave raw errors or wrong files on 7cf4271: formula headers, odd journal paths, odd ids and links."""

from __future__ import annotations

import contextlib
import csv
import json
import os
import sys
from urllib.parse import urlsplit

import pandas as pd
import pytest

import preo_nb
from preo_nb import bulk
from preo_nb.errors import PreoValidationError
from preo_nb.sandbox import drift

# 6. Column names neutralised like cells

FORMULA_HEADERS = ['=HYPERLINK("http://x.example","click")', "@SUM(9)", "+1", "-2", "name"]


def test_column_names_are_neutralised_in_csv_like_cells(tmp_path):
    frame = pd.DataFrame([["=1+1", "a", "b", "c", "d"]], columns=FORMULA_HEADERS)
    with open(preo_nb.to_csv(frame, tmp_path / "x.csv"), newline="") as stream:
        header, row = list(csv.reader(stream))
    assert header == [f"'{name}" for name in FORMULA_HEADERS[:4]] + ["name"]  # 7cf4271 wrote them raw
    assert row[0] == "'=1+1"
    assert list(frame.columns) == FORMULA_HEADERS  # the caller's frame is untouched


def test_column_names_are_neutralised_in_excel_like_cells(tmp_path):
    openpyxl = pytest.importorskip("openpyxl")
    frame = pd.DataFrame([[1, 2]], columns=["@SUM(9)", "total"])
    sheet = openpyxl.load_workbook(preo_nb.to_excel(frame, tmp_path / "x.xlsx")).active
    assert [cell.value for cell in sheet[1]] == ["'@SUM(9)", "total"]
    assert sheet["A2"].data_type == "n"


# 7. Odd journal paths: an error naming the path and what to do; "in use" only when a run holds it


def offline():
    return preo_nb.connect(base_url="http://127.0.0.1:9", token="tok_example", env_file=False)


def test_a_journal_path_that_is_a_folder_is_refused_with_what_to_do(tmp_path, nothing_sent):
    (tmp_path / "j.sqlite").mkdir()
    with pytest.raises(PreoValidationError, match=r"j.sqlite is a folder, not a journal file; give a file path"):
        bulk.refund_purchases(offline(), ["pur_0000000000aa"], reason="sold_out", journal=tmp_path / "j.sqlite")


def test_a_lock_file_that_is_a_folder_is_refused_with_what_to_do(tmp_path, nothing_sent):
    (tmp_path / "j.sqlite.lock").mkdir()
    with pytest.raises(PreoValidationError) as info:
        bulk.refund_purchases(offline(), ["pur_0000000000aa"], reason="sold_out", journal=tmp_path / "j.sqlite")
    assert f"lock file {tmp_path / 'j.sqlite.lock'} cannot be made" in str(info.value)
    assert "remove the folder" in str(info.value) and "in use" not in str(info.value)


@pytest.mark.skipif(not sys.platform.startswith("linux") or not os.path.isdir("/proc"), reason="needs /proc")
def test_a_journal_where_nothing_can_be_created_is_not_called_in_use(nothing_sent):
    with pytest.raises(PreoValidationError) as info:
        bulk.refund_purchases(offline(), ["pur_0000000000aa"], reason="sold_out", journal="/proc/preo-journal.sqlite")
    assert "in use" not in str(info.value)  # 7cf4271: "in use by another run (pid unknown)"
    assert "/proc/preo-journal.sqlite.lock cannot be made" in str(info.value)
    assert "a folder you can write to" in str(info.value)


# 8. Items keyed api_id; next links that are only a query, or relative


class Rewriting(drift.Proxy):
    """The sandbox behind a proxy that rewrites each JSON list page with ``rewrite(page)``."""

    def __init__(self, target, rewrite):
        self.rewrite = rewrite
        super().__init__(target, drift.Drift())

    def handle(self, request):
        response = super().handle(request)
        if request.method == "GET" and response.status_code == 200 and response.is_json:
            body = response.get_json()
            if isinstance(body, dict) and "results" in body:
                response.set_data(json.dumps(self.rewrite(body)))
        return response


@contextlib.contextmanager
def rewriting(sb, rewrite, page_size=50):
    proxy = Rewriting(sb.url, rewrite)
    try:
        yield preo_nb.connect(base_url=proxy.url, token=sb.token, env_file=False, page_size=page_size)
    finally:
        proxy.stop()


def keyed_api_id(page):
    return {**page, "results": [{"api_id": r.pop("id"), **r} if "id" in r else r for r in page["results"]]}


def query_only_links(page):
    link = page.get("next")
    return {**page, "next": link and "?" + urlsplit(link).query}


def relative_links(page):
    link = page.get("next")
    return {**page, "next": link and urlsplit(link).path.rsplit("/", 1)[-1] + "?" + urlsplit(link).query}


@pytest.fixture
def sb(sandbox):
    sandbox.reset()
    return sandbox


def test_orders_keyed_api_id_read_like_id(sb, connect_to):
    scope = {"edition_id": sb.store.busiest_edition()["id"], "status": "cancelled"}  # about 50 orders
    expected = connect_to(sb.url, sb.token, page_size=20).orders.purchases(**scope)
    with rewriting(sb, keyed_api_id, page_size=20) as preo:
        got = preo.orders.purchases(**scope)  # 7cf4271: KeyError: 'id'
    assert len(got) > 40 and got["api_id"].tolist() == expected["api_id"].tolist()
    assert got["order_id"].tolist() == expected["order_id"].tolist()


@pytest.mark.parametrize("rewrite", [query_only_links, relative_links])
def test_next_links_resolve_against_the_request_url(sb, connect_to, rewrite):
    scope = {"edition_id": sb.store.busiest_edition()["id"], "status": "cancelled"}
    expected = connect_to(sb.url, sb.token, page_size=10).orders.list(**scope)["id"].tolist()
    with rewriting(sb, rewrite, page_size=10) as preo:
        listed = preo.orders.list(**scope)["id"].tolist()
        iterated = [order["id"] for order in preo.orders.iterate(**scope)]  # one link at a time
    assert len(expected) > 40 and listed == expected and iterated == expected
