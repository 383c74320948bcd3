"""List pages read straight from their JSON bytes into Arrow (``_arrow.Reader.decode``), held to
what the same pages give when decoded into dicts: the frame, the filter checks, the declines."""

import json

import pandas as pd
import pytest
from test_frames import ORDER, orders

from preo_nb import _arrow, _verify, frames
from preo_nb._columnar import Layout
from preo_nb.contract import Column, Filter
from preo_nb.errors import IgnoredFilter

COLUMNS = frames.operation_columns("orders_list")


def envelope(records, **fields) -> bytes:
    return json.dumps({"count": 99, "next": None, "previous": None, "results": records, **fields}).encode()


def decode(body: bytes):
    return frames.page_decoder(COLUMNS)(body)


def without(records, *names):
    return [{k: v for k, v in r.items() if k not in names} for r in records]


ACCEPTED = {
    "as declared (phone null on every record: its key is there)": orders(3),
    "null customer and amount on some": orders(1, 2, customer=None, amount=None) + orders(1, 3),
    "an undocumented status": orders(2, 5, status="zeta"),
    "whole-number money, an offset, a null transaction": orders(2, 7, amount=7, transaction_id=None)
    + orders(1, 9, created="2026-06-01T12:00:00.250+02:00"),
    "a field missing from some records": without(orders(1, 10), "currency") + orders(1, 11),
    "text needing escapes": orders(2, 12, customer={**ORDER["customer"], "full_name": 'Zoë "Z" \\ O\'Neil\n'}),
    "no records": [],
}


@pytest.mark.parametrize("page", ACCEPTED.values(), ids=ACCEPTED.keys())
def test_a_page_read_from_its_bytes_makes_the_frame_its_dicts_make(page):
    found = decode(envelope(page, next="http://x/v1/orders?page=3"))
    assert found is not None
    rows, count, link = found
    assert (len(rows), count, link) == (len(page), 99, "http://x/v1/orders?page=3")
    before = orders(2, 100)  # a page of dicts first: Arrow pages and dict pages mix in order
    fast, slow = frames.build([before, rows], COLUMNS), frames.build([before, page], COLUMNS)
    pd.testing.assert_frame_equal(fast, slow)
    assert fast["id"].tolist() == [r["id"] for r in before + page]


DECLINED = {
    "a field the contract does not know": envelope(orders(2, new_field="x")),
    "the same, nested": envelope(orders(2, customer={**ORDER["customer"], "vip": True})),
    "an envelope field the contract does not know": envelope(orders(2), tags=["vip"]),
    "money as text": envelope(orders(2, amount="12.50")),
    "an id as a number": envelope(orders(2, id=12)),
    "text where an object was declared": envelope(orders(2, customer="walk-in")),
    "a field absent from every record": envelope(without(orders(2), "currency")),
    "a nested field absent from every record": envelope(orders(2, customer={"api_id": "usr_1"})),
    "a record that is not an object": envelope([ORDER, None]),
    "a record without its id": envelope(without(orders(1), "id") + orders(1, 1)),
    "results null": envelope(None),
    "a count as text": envelope(orders(1), count="99"),
    "a plain array": json.dumps(orders(2)).encode(),
    "two JSON values": envelope(orders(1)) + b"\n" + envelope(orders(1, 1)),
    "a cut-off body": envelope(orders(2))[:-20],
    "not UTF-8": envelope(orders(1)).replace(b"Ann", b"\xe9"),
    "a key twice": envelope(orders(1)).replace(b'"currency": "eur"', b'"currency": "eur", "currency": "usd"'),
    "empty": b"",
}


@pytest.mark.parametrize("body", DECLINED.values(), ids=DECLINED.keys())
def test_pages_only_dicts_can_read_as_sent_are_declined(body):
    """Declined pages are decoded as JSON and read by the records path (``test_frames`` holds it)."""
    assert decode(body) is None


def test_a_key_another_field_shares_does_not_vouch_for_a_null_column():
    layout = Layout([Column("id", "string"), Column("buyer.id", "string"), Column("buyer.email", "string")])
    reader = _arrow.Reader(layout)
    assert reader._named == {"buyer.email": b'"email":'}  # "id" names two fields: its bytes prove nothing
    shared = {"count": 1, "next": None, "previous": None, "results": [{"id": "a", "buyer": {"id": None}}]}
    assert reader.decode(json.dumps(shared).encode()) is None  # buyer.id null everywhere: present or not?
    shared["results"][0]["buyer"] = {"id": "b", "email": None}
    assert reader.decode(json.dumps(shared).encode()) is not None  # "email": in the bytes: present, null


def test_a_read_stops_trying_arrow_after_declining_a_few_pages(monkeypatch):
    reader = _arrow.Reader(Layout(list(COLUMNS)))
    tries = []
    parse = _arrow.pj.read_json
    monkeypatch.setattr(_arrow.pj, "read_json", lambda *a, **k: tries.append(1) or parse(*a, **k))
    undeclared = envelope(orders(2, new_field="x"))
    assert [reader.decode(undeclared) for _ in range(5)] == [None] * 5
    assert len(tries) == _arrow.DECLINES  # then no more parses: each would cost as much as the dicts' decode


FILTERS = [
    ("status", "completed", orders(2, status="pending")),
    ("customer_email", "a@example.com", orders(2, 3, customer={**ORDER["customer"], "email": "b@example.com"})),
    ("created_after", "2026-07-01T00:00:00Z", orders(2)),
    ("search", "zzz", orders(2)),
    ("ordering", "-amount", orders(1, amount=5) + orders(1, 1, amount=9)),
    ("ordering", "order_number", orders(1, 5) + orders(1, 1)),
]


@pytest.mark.parametrize(("name", "value", "page"), FILTERS)
def test_a_filter_the_server_ignored_is_caught_on_arrow_pages_as_on_dicts(name, value, page):
    verifier = _verify.Verifier("orders_list", {name: value})
    assert verifier.takes_rows()
    rows = decode(envelope(page))[0]
    with pytest.raises(IgnoredFilter) as on_rows:
        _verify.Verifier("orders_list", {name: value}).page(rows)
    with pytest.raises(IgnoredFilter) as on_dicts:
        _verify.Verifier("orders_list", {name: value}).page(page)
    assert str(on_rows.value) == str(on_dicts.value)


def test_pages_the_filters_hold_on_pass_on_arrow_pages():
    page = orders(3, status="completed")
    query = {"status": "completed", "created_before": "2026-07-01T00:00:00Z", "ordering": "order_number"}
    _verify.Verifier("orders_list", query).page(decode(envelope(page))[0])


def test_checks_that_would_read_arrow_numbers_as_text_keep_the_dicts():
    """Arrow holds 2 as 2.0: an equality check on a number column would see "2.0" where the JSON said 2."""
    verifier = _verify.Verifier("orders_list", {})
    verifier.checks = [(Filter("amount", "equal", column="amount"), "2")]
    assert not verifier.takes_rows()
    verifier.checks = [(Filter("amount_min", "lower", column="amount"), "2")]
    assert verifier.takes_rows()
    verifier.checks = [(Filter("vip", "equal", column="customer.vip"), "true")]  # not declared: only dicts hold it
    assert not verifier.takes_rows()


def test_a_long_list_reads_its_pages_through_arrow_into_the_frame_the_dicts_make(sandbox, connect_to, monkeypatch):
    preo = connect_to(sandbox.url, sandbox.token, page_size=40)
    edition = preo.editions.list()["id"].iloc[0]
    query = {"edition_id": edition, "status": "completed", "ordering": "-created"}
    decoded = []
    real = _arrow.Reader.decode
    monkeypatch.setattr(_arrow.Reader, "decode", lambda self, body: decoded.append(real(self, body)) or decoded[-1])
    fast = preo.orders.list(**query)
    assert len(fast) > 200 and len(decoded) == -(-len(fast) // 40) - 1  # every page after the first
    assert None not in decoded
    monkeypatch.setattr(_arrow.Reader, "decode", lambda self, body: None)
    pd.testing.assert_frame_equal(fast, preo.orders.list(**query))


def test_a_read_holds_more_pages_ahead_only_while_they_come_as_arrow(sandbox, connect_to, monkeypatch):
    """Arrow pages weigh a fifth of their dicts: four times as many wait ahead; dict pages keep the old window."""
    from preo_nb import _pages

    windows = []
    real = _pages.ordered_map

    def watched(func, items, *, workers, window):
        for result in real(func, items, workers=workers, window=window):
            windows.append(window())
            yield result

    monkeypatch.setattr(_pages, "ordered_map", watched)
    preo = connect_to(sandbox.url, sandbox.token, page_size=40, page_workers=3)
    edition = preo.editions.list()["id"].iloc[0]
    preo.orders.list(edition_id=edition)
    threads = _pages.workers(preo._http)
    assert windows[0] == threads + 2  # asked before the first page was taken: as for dicts
    assert set(windows[1:]) == {_pages.ARROW_AHEAD * threads + 2}  # then four times as many
    windows.clear()
    monkeypatch.setattr(_arrow.Reader, "decode", lambda self, body: None)  # every page declined: dicts
    preo.orders.list(edition_id=edition)
    assert set(windows) == {threads + 2}
