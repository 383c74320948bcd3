"""Bad input is refused before anything is sent, naming the field."""

import datetime as dt

import pytest

import preo_nb
from preo_nb import PreoValidationError


@pytest.fixture
def offline(nothing_sent):
    return preo_nb.connect(base_url="http://127.0.0.1:9", token="tok_checks_only", env_file=False)


CASES = [
    ("unknown reason", lambda p: p.purchases.refund("pur_1", reason="refund_please"), "reason"),
    ("reason missing", lambda p: p.purchases.refund("pur_1", reason=None), "reason"),
    ("unknown scope", lambda p: p.purchases.refund("pur_1", reason="other", scope="all", amount=1), "scope"),
    ("custom scope without amount", lambda p: p.purchases.refund("pur_1", reason="compensation"), "amount"),
    ("explicit custom scope without amount",
     lambda p: p.refunds.create("pur_1", reason="sold_out", scope="transaction_custom"), "amount"),
    ("negative amount", lambda p: p.purchases.refund("pur_1", reason="overcharge", amount=-5), "amount"),
    ("zero amount", lambda p: p.purchases.refund("pur_1", reason="overcharge", amount=0), "amount"),
    ("amount as text", lambda p: p.purchases.refund("pur_1", reason="overcharge", amount="5"), "amount"),
    ("amount with cents below a cent", lambda p: p.purchases.refund("pur_1", reason="other", amount=1.005), "amount"),
    ("not-a-number amount", lambda p: p.purchases.refund("pur_1", reason="other", amount=float("nan")), "amount"),
    ("amount on a computed scope", lambda p: p.purchases.refund("pur_1", reason="event_cancelled", amount=10),
     "amount"),
    ("comment not text", lambda p: p.purchases.refund("pur_1", reason="sold_out", comment=3), "comment"),
    ("orders without scope filter", lambda p: p.orders.list(), "edition_id"),
    ("orders iterate without scope filter", lambda p: next(p.orders.iterate(status="completed")), "edition_id"),
    ("misspelt keyword", lambda p: p.orders.list(edtion_id="edt_1"), "edtion_id"),
    ("misspelt keyword on a write", lambda p: p.purchases.refund("pur_1", reasn="sold_out"), "reasn"),
    ("bad order status", lambda p: p.orders.list(edition_id="edt_1", status="done"), "status"),
    ("bad ordering", lambda p: p.orders.list(edition_id="edt_1", ordering="price"), "ordering"),
    ("bad date", lambda p: p.orders.list(edition_id="edt_1", created_after="last tuesday"), "created_after"),
    ("bad boolean", lambda p: p.editions.list(is_draft="yes"), "is_draft"),
    ("id with a slash", lambda p: p.purchases.retrieve("pur_1/../../admin"), "id"),
    ("id with dots", lambda p: p.refunds.approve(".."), "id"),
    ("empty id", lambda p: p.orders.retrieve(""), "id"),
    ("id that is not text", lambda p: p.users.retrieve(42), "id"),
    ("unicode id", lambda p: p.users.retrieve("usr_\u202eevil"), "id"),
    ("bad locale", lambda p: p.users.update("usr_1", locale="sv"), "locale"),
    ("empty update", lambda p: p.users.update("usr_1"), "fields"),
    ("bad pickup point id", lambda p: p.purchases.refund("pur_1", reason="sold_out", pickup_point_id="a/b"),
     "pickup_point_id"),
]


@pytest.mark.parametrize(("case", "call", "field"), CASES, ids=[c[0] for c in CASES])
def test_bad_input_is_refused_before_sending(offline, nothing_sent, case, call, field):
    with pytest.raises(PreoValidationError) as info:
        call(offline)
    assert info.value.field == field
    assert field in str(info.value)
    assert nothing_sent == []


def test_dates_are_sent_as_utc_iso_strings():
    from preo_nb.resources._base import timestamp

    assert timestamp(dt.date(2026, 6, 1), "d") == "2026-06-01T00:00:00Z"
    assert timestamp("2026-06-01T12:00:00+02:00", "d") == "2026-06-01T10:00:00Z"
    assert timestamp(dt.datetime(2026, 6, 1, 8, 30), "d") == "2026-06-01T08:30:00Z"
