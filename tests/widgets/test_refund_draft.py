"""The refund form's rules, without a server: amounts, caps, validation and the request made."""

import dataclasses
from decimal import Decimal

import pytest

from preo_nb import contract
from preo_nb.errors import PreoValidationError
from preo_nb.refund_rules import DEFAULT_SCOPE
from preo_nb.resources.refunds import refund_body
from preo_nb.widgets.refund_draft import PurchaseFacts, RefundDraft, read_money

D = Decimal
FACTS = PurchaseFacts(
    purchase_id="pur_1",
    order_id="ord_1",
    order_number="NF26-000001",
    edition_id="edt_1",
    product="Locker",
    customer="Ann Berg",
    status="paid",
    currency="eur",
    price=D("15.00"),
    deposit=D("10.00"),
    fee=D("0.60"),
    refunded=D("0.00"),
    transaction_id="trx_1",
    transaction_available=D("100.00"),
    pickup_point="Rental booth",
)


def draft(facts=FACTS, reason="event_cancelled", **values):
    made = RefundDraft(facts=facts)
    made.choose_reason(reason)
    for name, value in values.items():
        setattr(made, name, value)
    return made


@pytest.mark.parametrize("reason", contract.enum("RefundReason"))
def test_the_reason_prefills_the_scope_preo_would_derive(reason):
    assert draft(reason=reason).scope == DEFAULT_SCOPE[reason]


@pytest.mark.parametrize(
    ("scope", "amount"),
    [
        ("purchase_price", "15.00"),
        ("purchase_deposit", "10.00"),
        ("purchase_full", "25.60"),
        ("transaction_full", "100.00"),
    ],
)
def test_fixed_scopes_compute_the_amount_like_preo(scope, amount):
    assert draft(scope=scope).amount_due() == D(amount)


@pytest.mark.parametrize(
    ("changes", "scope", "amount"),
    [
        ({"refunded": D("20.00")}, "purchase_full", "5.60"),  # capped by what is left of the purchase
        ({"refunded": D("20.00")}, "purchase_price", "5.60"),
        ({"transaction_available": D("12.00")}, "purchase_full", "12.00"),  # capped by the payment
        ({"transaction_available": D("12.00")}, "transaction_full", "12.00"),
        ({"refunded": D("25.60")}, "purchase_deposit", "0.00"),
    ],
)
def test_computed_amounts_are_capped_by_what_is_left(changes, scope, amount):
    facts = dataclasses.replace(FACTS, **changes)
    assert draft(facts, scope=scope).amount_due() == D(amount)


def test_transaction_scopes_may_refund_more_than_the_purchase():
    assert FACTS.available("transaction_custom") == D("100.00")
    assert FACTS.available("purchase_custom") == D("25.60")


def test_the_facts_show_paid_remaining_and_available():
    facts = dataclasses.replace(FACTS, refunded=D("10.00"), transaction_available=D("90.00"))
    assert (facts.paid, facts.remaining, facts.available("purchase_full")) == (D("25.60"), D("15.60"), D("15.60"))


def test_without_a_purchase_nothing_can_be_sent():
    assert RefundDraft().errors() == {"purchase": "find a purchase first (its id or its order number)"}
    with pytest.raises(PreoValidationError, match="find a purchase"):
        RefundDraft().request()


def test_a_reason_is_required():
    assert draft(reason=None).errors() == {"reason": "choose a reason", "scope": "choose a scope"}


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"status": "refunded"}, "a refunded purchase has nothing to refund"),
        ({"status": "cancelled"}, "a cancelled purchase has nothing to refund"),
        ({"transaction_id": None}, "without payment has nothing to refund"),
        ({"open_requests": ({"id": "rfr_9", "status": "ready"},)}, "already has an open refund request rfr_9 (ready)"),
    ],
)
def test_a_purchase_that_cannot_be_refunded_is_refused(changes, message):
    errors = draft(dataclasses.replace(FACTS, **changes)).errors()
    assert message in errors["purchase"]


def test_the_deposit_scope_needs_a_deposit():
    facts = dataclasses.replace(FACTS, deposit=D("0.00"))
    assert draft(facts, reason="deposit_reclaim").errors() == {"scope": "this purchase has no deposit to refund"}


def test_a_fixed_scope_with_nothing_left_is_refused():
    facts = dataclasses.replace(FACTS, transaction_available=D("0.00"))
    assert draft(facts).errors() == {"amount": "nothing is left to refund for purchase_full"}


@pytest.mark.parametrize(
    ("scope", "amount", "message"),
    [
        ("purchase_custom", None, "enter an amount greater than 0"),
        ("purchase_custom", 0.0, "enter an amount greater than 0"),
        ("purchase_custom", -5.0, "enter an amount greater than 0"),
        ("purchase_custom", 1.005, "1.005 has more than 2 decimals"),
        ("purchase_custom", 25.61, "25.61 is more than the 25.60 still available"),
        ("transaction_custom", 100.01, "100.01 is more than the 100.00 still available"),
    ],
)
def test_custom_amounts_must_be_above_zero_and_within_what_is_available(scope, amount, message):
    assert draft(reason="compensation", scope=scope, amount=amount).errors() == {"amount": message}


@pytest.mark.parametrize(
    ("scope", "amount"), [("purchase_custom", 25.6), ("transaction_custom", 100.0), ("purchase_custom", 0.01)]
)
def test_custom_amounts_up_to_the_limit_are_accepted(scope, amount):
    made = draft(reason="compensation", scope=scope, amount=amount)
    assert made.errors() == {}
    assert made.request().body["amount"] == amount
    assert made.request().amount == D(str(amount))


def test_the_request_is_the_body_purchases_refund_sends():
    made = draft(reason="rental_return", comment="returned at the booth", pickup_point_id="pup_1")
    plan = made.request()
    assert (plan.method, plan.path) == ("POST", "/v1/purchases/pur_1/refund")
    assert plan.body == {
        "reason": "rental_return",
        "scope": "purchase_deposit",
        "comment": "returned at the booth",
        "pickup_point_id": "pup_1",
    }
    assert refund_body(**plan.arguments()) == plan.body  # what purchases.refund builds from those arguments
    assert plan.amount == D("10.00")


def test_a_fixed_scope_sends_no_amount_even_if_one_was_typed():
    plan = draft(scope="purchase_price", amount=3.0).request()
    assert "amount" not in plan.body
    assert plan.amount == D("15.00")


def test_a_plan_cannot_be_changed_after_it_is_made():
    plan = draft().request()
    plan.body["reason"] = "other"
    assert plan.body["reason"] == "event_cancelled"
    with pytest.raises(dataclasses.FrozenInstanceError):
        plan.path = "/v1/purchases/pur_2/refund"


# -- money Preo did not send readably --------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "read"),
    [
        (12.5, D("12.50")),
        (12, D("12.00")),
        ("12.50", D("12.50")),
        (" 7.1 ", D("7.10")),
        ("0", D("0.00")),
        (None, None),
        ("", None),
        ("n/a", None),
        ("12,50", None),
        (float("nan"), None),
        (float("inf"), None),
        ("Infinity", None),
        (True, None),
        ([12.5], None),
        ({"amount": 1}, None),
    ],
)
def test_money_is_read_as_decimals_or_unknown(value, read):
    assert read_money(value) == read


def api_purchase(**changes):
    purchase = {
        "api_id": "pur_1",
        "order_id": "ord_1",
        "edition_id": "edt_1",
        "status": "paid",
        "product": {"name": "Locker"},
        "user": {"full_name": "Ann Berg"},
        "currency": "eur",
        "price": 15.0,
        "deposit": 10.0,
        "fee": 0.6,
        "refunded_amount": 0,
        "transaction_id": "trx_1",
    }
    purchase.update(changes)
    return {k: v for k, v in purchase.items() if v is not ...}


ORDER = {
    "id": "ord_1",
    "order_number": "NF26-000001",
    "edition_id": "edt_1",
    "transaction": {"available_refund_amount": "100.00"},
}


def test_facts_read_money_sent_as_strings():
    facts = PurchaseFacts.from_api(api_purchase(price="15.00", deposit="10.00", fee="0.60"), ORDER)
    assert (facts.price, facts.paid, facts.transaction_available) == (D("15.00"), D("25.60"), D("100.00"))
    assert draft(facts).amount_due() == D("25.60") and draft(facts).errors() == {}


@pytest.mark.parametrize("field", ["price", "deposit", "fee"])
@pytest.mark.parametrize("value", [None, ..., "unknown"], ids=["null", "missing", "text"])
def test_an_unknown_price_deposit_or_fee_is_unknown_not_zero(field, value):
    facts = PurchaseFacts.from_api(api_purchase(**{field: value}), ORDER)
    assert getattr(facts, field) is None and facts.paid is None and facts.remaining is None
    made = draft(facts, reason="event_cancelled")
    assert made.amount_due() is None
    assert made.errors()["amount"].startswith(f"the amount is unknown: Preo sent no readable {field}")
    with pytest.raises(PreoValidationError, match="the amount is unknown"):
        made.request()


def test_an_unknown_deposit_is_not_taken_for_no_deposit():
    facts = PurchaseFacts.from_api(api_purchase(deposit=None), ORDER)
    errors = draft(facts, reason="deposit_reclaim").errors()
    assert "scope" not in errors and "no readable deposit" in errors["amount"]


def test_the_payments_amount_alone_is_enough_for_a_transaction_refund():
    facts = PurchaseFacts.from_api(api_purchase(price=None), ORDER)
    assert draft(facts, scope="transaction_full").amount_due() == D("100.00")
    assert draft(facts, scope="transaction_full").errors() == {}
    unknown_payment = PurchaseFacts.from_api(api_purchase(), {**ORDER, "transaction": {}})
    assert (
        "available refund amount of the payment" in draft(unknown_payment, scope="transaction_full").errors()["amount"]
    )


def test_a_custom_amount_with_an_unknown_cap_is_left_to_preo_to_check():
    facts = PurchaseFacts.from_api(api_purchase(fee=None), ORDER)
    made = draft(facts, reason="compensation", amount=5.0)
    assert made.errors() == {} and made.request().amount == D("5.00")
