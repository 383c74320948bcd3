"""RefundForm against the live sandbox, driven through its controls as a notebook user would."""

import json
import threading
from decimal import Decimal
from html import unescape

import pytest

from preo_nb.widgets import RefundForm

from .helpers import spy_on, text, writes


@pytest.fixture
def desk(sandbox, connect_to):
    """An admin client on the shared sandbox, without a reset: each test takes a purchase nobody refunded yet."""
    return connect_to(sandbox.url, sandbox.token)


@pytest.fixture
def purchase(sandbox, desk):
    """A paid purchase with a deposit, in an order of several items, with no refund request yet."""
    return sandbox.store.find_purchase(org=1, status="paid", refundable=True, has_deposit=True, multi_item=True)


def requests_for(sandbox, purchase_id):
    return [r for r in sandbox.store.refunds() if r["purchase"]["api_id"] == purchase_id]


def previewed_body(form):
    """The JSON the preview shows, read back from its HTML."""
    shown = form.request.value.split("<pre", 1)[1].split(">", 1)[1].split("</pre>", 1)[0]
    return json.loads(unescape(shown))


def test_shows_the_purchase_money(desk, purchase):
    form = RefundForm(desk, purchase["api_id"])
    shown = text(form.facts)
    paid = purchase["price"] + purchase["deposit"] + purchase["fee"]
    assert purchase["product"]["name"] in shown
    assert f"Paid €{paid:.2f}" in shown and f"Deposit €{purchase['deposit']:.2f}" in shown
    assert "Already refunded €0.00" in shown and f"Still available €{paid:.2f}" in shown
    assert form.purchase.value == purchase["api_id"]
    assert text(form.problems) == "reason : choose a reason scope : choose a scope"


def test_finds_an_order_by_number_and_lists_its_items(desk, purchase):
    order = desk.orders.retrieve(purchase["order_id"])
    form = RefundForm(desk)
    form.lookup.value = order["order_number"]
    form.find.click()
    assert [value for _, value in form.purchase.options] == [p["api_id"] for p in order["purchases"]]
    form.purchase.value = purchase["api_id"]
    assert purchase["product"]["name"] in text(form.facts)
    assert f"Found order {order['order_number']}" in text(form.status)


def test_an_unknown_purchase_or_order_is_said_in_the_form(desk):
    form = RefundForm(desk, "NO-SUCH-ORDER")
    assert "no purchase id or order number 'NO-SUCH-ORDER'" in text(form.status)
    assert form.draft.facts is None


@pytest.mark.parametrize(
    ("reason", "scope", "amount"),
    [
        ("event_cancelled", "purchase_full", lambda p: p["price"] + p["deposit"] + p["fee"]),
        ("deposit_reclaim", "purchase_deposit", lambda p: p["deposit"]),
        ("customer_request", "purchase_price", lambda p: p["price"]),
    ],
)
def test_the_reason_fills_in_scope_and_amount(desk, purchase, reason, scope, amount):
    form = RefundForm(desk, purchase["api_id"])
    form.reason.value = reason
    assert form.scope.value == scope
    assert form.amount.value == pytest.approx(amount(purchase)) and form.amount.disabled
    assert text(form.problems) == ""


def test_a_custom_scope_takes_a_typed_amount_and_checks_it(desk, purchase):
    form = RefundForm(desk, purchase["api_id"])
    form.reason.value = "compensation"
    assert form.scope.value == "purchase_custom" and not form.amount.disabled
    form.amount.value = 1000.0
    assert "amount : 1000.00 is more than the" in text(form.problems)
    form.preview.click()
    assert "Not ready to preview" in text(form.status) and form.submit.disabled and form.planned is None
    form.amount.value = 2.5
    form.preview.click()
    assert previewed_body(form)["amount"] == 2.5 and not form.submit.disabled


def test_the_scope_can_be_overridden(desk, purchase):
    form = RefundForm(desk, purchase["api_id"])
    form.reason.value = "event_cancelled"
    form.scope.value = "purchase_price"
    assert form.amount.value == pytest.approx(purchase["price"])
    form.preview.click()
    assert previewed_body(form)["scope"] == "purchase_price"


def test_confirm_sends_exactly_the_previewed_request(sandbox, desk, purchase, monkeypatch):
    calls = spy_on(desk, monkeypatch)
    form = RefundForm(desk, purchase["api_id"])
    form.reason.value = "rental_return"
    form.comment.value = "returned at the booth"
    form.preview.click()
    plan = form.planned
    assert previewed_body(form) == plan.body
    assert f"{plan.method} {plan.path}" in text(form.request)
    assert f"Money that moves: €{purchase['deposit']:.2f}" in text(form.request)
    form.submit.click()
    assert writes(calls) == [(plan.method, plan.path, plan.body)]
    [made] = requests_for(sandbox, purchase["api_id"])
    assert (made["reason"], made["scope"], made["amount"], made["comment"]) == (
        "rental_return",
        "purchase_deposit",
        purchase["deposit"],
        "returned at the booth",
    )
    assert f"Refund request {made['id']} filed: €{purchase['deposit']:.2f}" in text(form.status)
    assert "it already has an open refund request" in text(form.problems)  # the form re-read the purchase


@pytest.mark.parametrize(
    ("control", "value"),
    [
        ("reason", "sold_out"),
        ("scope", "purchase_price"),
        ("comment", "changed my mind"),
        ("pickup_point", None),
    ],
)
def test_any_change_after_the_preview_takes_confirm_away(desk, purchase, monkeypatch, control, value):
    form = RefundForm(desk, purchase["api_id"])
    form.reason.value = "event_cancelled"
    form.preview.click()
    assert not form.submit.disabled
    if control == "pickup_point":
        value = next(v for _, v in form.pickup_point.options if v != form.pickup_point.value)
    getattr(form, control).value = value
    assert form.submit.disabled and form.planned is None
    assert "Changed since the preview" in text(form.request)
    calls = spy_on(desk, monkeypatch)
    form.submit.click()
    assert writes(calls) == []


def test_a_new_custom_amount_after_the_preview_takes_confirm_away(desk, purchase):
    form = RefundForm(desk, purchase["api_id"])
    form.reason.value = "compensation"
    form.amount.value = 5.0
    form.preview.click()
    form.amount.value = 6.0
    assert form.submit.disabled and form.planned is None
    form.preview.click()
    assert form.planned.body["amount"] == 6.0 and not form.submit.disabled


def test_choosing_another_item_after_the_preview_takes_confirm_away(desk, purchase):
    form = RefundForm(desk, purchase["api_id"])
    form.reason.value = "event_cancelled"
    form.preview.click()
    form.purchase.value = next(v for _, v in form.purchase.options if v != purchase["api_id"])
    assert form.submit.disabled and form.planned is None


def test_a_double_click_files_one_request(sandbox, desk, purchase, monkeypatch):
    calls = spy_on(desk, monkeypatch)
    form = RefundForm(desk, purchase["api_id"])
    form.reason.value = "event_cancelled"
    form.preview.click()
    form.submit.click()
    form.submit.click()
    assert len(writes(calls)) == 1
    assert len(requests_for(sandbox, purchase["api_id"])) == 1
    assert "filed" in text(form.status)


def test_two_clicks_at_once_from_two_threads_file_one_request(sandbox, desk, purchase, monkeypatch):
    form = RefundForm(desk, purchase["api_id"])
    form.reason.value = "event_cancelled"
    form.preview.click()
    calls = spy_on(desk, monkeypatch)
    start = threading.Barrier(2)

    def click():
        start.wait(timeout=5)
        form.submit.click()

    threads = [threading.Thread(target=click) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert len(writes(calls)) == 1
    assert len(requests_for(sandbox, purchase["api_id"])) == 1


def test_a_refusal_from_preo_shows_in_the_form(sandbox, desk, purchase):
    form = RefundForm(desk, purchase["api_id"])
    form.reason.value = "event_cancelled"
    form.preview.click()
    desk.purchases.refund(purchase["api_id"], reason="sold_out")  # someone else, meanwhile
    form.submit.click()
    assert "Conflict" in text(form.status) and "open refund request" in text(form.status)
    assert "Not filed" in text(form.request) and form.submit.disabled
    assert len(requests_for(sandbox, purchase["api_id"])) == 1


def test_an_unexpected_error_is_kept_in_the_form(desk, purchase, monkeypatch):
    form = RefundForm(desk, purchase["api_id"])
    form.reason.value = "event_cancelled"
    form.preview.click()

    def broken(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(desk.purchases, "refund", broken)
    form.submit.click()
    assert "Unexpected RuntimeError: boom" in text(form.status)
    assert "RuntimeError: boom" in "".join(o.get("text", "") for o in form.output.outputs)


# -- a Confirm whose answer is lost ----------------------------------------------------------


@pytest.fixture
def faults(sandbox):
    sandbox.faults.clear()
    yield sandbox.faults
    sandbox.faults.clear()


def confirm_with_lost_answer(form, faults, purchase, kind):
    """Preview, then Confirm while the POST's answer is lost and the client's own check fails too."""
    form.reason.value = "event_cancelled"
    form.preview.click()
    faults.fail_next("POST", "/v1/purchases", kind=kind)
    faults.fail_next("GET", "/v1/refunds", 500)  # the client's reconcile: UnknownOutcome
    form.submit.click()
    assert faults.pending("POST", "/v1/purchases") == 0 and faults.pending("GET", "/v1/refunds") == 0


def test_a_lost_answer_says_outcome_unknown_and_where_to_look(sandbox, desk, purchase, faults, monkeypatch):
    form = RefundForm(desk, purchase["api_id"])
    confirm_with_lost_answer(form, faults, purchase, "drop")
    assert "Outcome unknown" in text(form.request) and "Not filed" not in text(form.request)
    status = text(form.status)
    assert "Outcome unknown" in status and "may have been filed" in status
    assert f"GET /v1/purchases/{purchase['api_id']}" in status  # the UnknownOutcome's .check
    assert f"preo.refunds.list(purchase_id='{purchase['api_id']}')" in status
    assert form.submit.disabled and form.preview.disabled
    assert not form.check_again.disabled and form.check_again.layout.display is None
    calls = spy_on(desk, monkeypatch)
    form.reason.value = "sold_out"  # a new preview of that purchase is refused, even clicked from code
    form.preview.click()
    form.submit.click()
    assert form.planned is None and writes(calls) == []
    assert "press Check again before a new preview" in text(form.status)


def test_check_again_finds_the_request_the_lost_confirm_filed(sandbox, desk, purchase, faults):
    form = RefundForm(desk, purchase["api_id"])
    confirm_with_lost_answer(form, faults, purchase, "drop")  # drop: handled, then the answer is lost
    [made] = requests_for(sandbox, purchase["api_id"])
    form.check_again.click()
    assert f"Refund request {made['id']} filed" in text(form.status)
    assert form.check_again.disabled and form.check_again.layout.display == "none"
    assert form.unsettled == {}
    assert "it already has an open refund request" in text(form.problems)  # so no second one is offered


def test_check_again_finding_nothing_offers_preview_again(sandbox, desk, purchase, faults):
    form = RefundForm(desk, purchase["api_id"])
    confirm_with_lost_answer(form, faults, purchase, "reset")  # reset: closed before it was handled
    assert requests_for(sandbox, purchase["api_id"]) == []
    form.check_again.click()
    assert "Not filed: no refund request was made for this purchase since Confirm" in text(form.status)
    assert not form.preview.disabled and form.check_again.disabled
    form.preview.click()
    form.submit.click()
    assert len(requests_for(sandbox, purchase["api_id"])) == 1
    assert "filed" in text(form.status)


def test_check_again_failing_too_keeps_the_outcome_unknown(sandbox, desk, purchase, faults):
    form = RefundForm(desk, purchase["api_id"])
    confirm_with_lost_answer(form, faults, purchase, "drop")
    faults.fail_next("GET", "/v1/refunds", 500)
    form.check_again.click()
    assert "Still unknown: the check failed too" in text(form.status)
    assert form.preview.disabled and form.submit.disabled and not form.check_again.disabled
    form.check_again.click()
    [made] = requests_for(sandbox, purchase["api_id"])
    assert f"Refund request {made['id']} filed" in text(form.status) and form.check_again.disabled


def test_another_purchase_can_be_refunded_meanwhile(sandbox, desk, purchase, faults):
    form = RefundForm(desk, purchase["api_id"])
    confirm_with_lost_answer(form, faults, purchase, "drop")
    other = next(v for _, v in form.purchase.options if v != purchase["api_id"])
    form.purchase.value = other
    assert not form.preview.disabled and form.check_again.disabled
    form.purchase.value = purchase["api_id"]
    assert form.preview.disabled and not form.check_again.disabled


# -- money the form cannot read --------------------------------------------------------------


def with_purchase_values(desk, monkeypatch, purchase_id, **values):
    """Make the order the form reads carry other price/deposit/fee values for one purchase."""
    original = desk.orders.retrieve

    def retrieve(id):
        order = original(id)
        for item in order["purchases"]:
            if item["api_id"] == purchase_id:
                item.update(values)
                for name, value in values.items():
                    if value is ...:
                        del item[name]
        return order

    monkeypatch.setattr(desk.orders, "retrieve", retrieve)


@pytest.mark.parametrize("price", [None, ..., "n/a", float("nan")], ids=["null", "missing", "text", "nan"])
def test_an_unknown_price_is_unknown_not_zero(desk, purchase, monkeypatch, price):
    with_purchase_values(desk, monkeypatch, purchase["api_id"], price=price)
    form = RefundForm(desk, purchase["api_id"])
    assert "Paid unknown (price unknown" in text(form.facts)
    assert f"· unknown · {purchase['api_id']}" in dict(form.purchase.options).__repr__()
    form.reason.value = "event_cancelled"
    assert "amount : the amount is unknown: Preo sent no readable price" in text(form.problems)
    assert form.amount.description == "Amount unknown"
    form.preview.click()
    assert form.planned is None and form.submit.disabled and "Not ready to preview" in text(form.status)
    assert "€0.00" not in text(form.request)


def test_money_as_strings_is_read_as_decimals(desk, purchase, monkeypatch):
    with_purchase_values(desk, monkeypatch, purchase["api_id"], price="12.50", deposit="2.00", fee="0.35")
    form = RefundForm(desk, purchase["api_id"])
    assert "Paid €14.85 (price €12.50, deposit €2.00, fee €0.35)" in text(form.facts)
    form.reason.value = "customer_request"
    assert form.amount.value == 12.5 and text(form.problems) == ""
    form.preview.click()
    assert form.planned.amount == Decimal("12.50")
    assert "Money that moves: €12.50" in text(form.request)
