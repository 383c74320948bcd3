"""After a Confirm whose answer was lost: which errors prove nothing was filed, and which request is ours."""

from decimal import Decimal

import pytest

from preo_nb import errors
from preo_nb.widgets.refund_draft import PlannedRequest
from preo_nb.widgets.refund_lookup import Unsettled, filed_by, not_filed

PLAN = PlannedRequest(
    "POST", "/v1/purchases/pur_1/refund", '{"reason": "event_cancelled"}', "pur_1", Decimal("25.60"), "eur"
)
BEFORE = frozenset({"rfr_old"})


def request(**changes):
    made = {
        "id": "rfr_new",
        "purchase": {"api_id": "pur_1"},
        "reason": "event_cancelled",
        "scope": "purchase_full",
        "amount": 25.6,
        "status": "requested",
    }
    return {**made, **changes}


def unsettled(seen=BEFORE):
    return Unsettled.after(
        PLAN,
        seen,
        errors.UnknownOutcome(
            "POST",
            "http://h/v1/purchases/pur_1/refund",
            errors.TransportError("reset"),
            check="GET /v1/purchases/pur_1",
        ),
    )


def test_the_request_made_after_confirm_as_previewed_is_found():
    found, others = filed_by(unsettled(), [request(id="rfr_old"), request(amount="25.60")])
    assert found["id"] == "rfr_new" and others == []


@pytest.mark.parametrize(
    ("changes", "why"),
    [
        ({"id": "rfr_old"}, "there before Confirm"),
        ({"purchase": {"api_id": "pur_2"}}, "another purchase's (the server ignored the filter)"),
        ({"purchase": None}, "no purchase to tell by"),
        ({"reason": "sold_out"}, "another reason"),
        ({"scope": "purchase_price"}, "another scope"),
        ({"amount": 25.59}, "another amount"),
        ({"amount": None}, "no amount"),
    ],
)
def test_a_request_that_differs_is_not_taken_for_ours(changes, why):
    found, _ = filed_by(unsettled(), [request(**changes)])
    assert found is None, why


def test_new_requests_that_differ_are_named():
    found, others = filed_by(unsettled(), [request(id="rfr_a", amount=10), request(id="rfr_old")])
    assert found is None and others == ["rfr_a"]


def test_where_to_look_names_the_check_and_the_refund_list():
    assert unsettled().where_to_look() == (
        "GET /v1/purchases/pur_1, or the purchase's refund requests: preo.refunds.list(purchase_id='pur_1')"
    )
    assert unsettled().cause == "TransportError: reset"


def api_error(cls, status):
    return cls(status, method="POST", url="http://h/v1/purchases/pur_1/refund")


@pytest.mark.parametrize(
    ("error", "filed_for_sure_not"),
    [
        (errors.PreoValidationError("amount", "bad"), True),
        (errors.TransportError("refused"), True),
        (api_error(errors.Conflict, 409), True),
        (api_error(errors.BadRequest, 400), True),
        (api_error(errors.RateLimited, 429), True),
        (api_error(errors.ServerError, 503), False),
        (errors.UnknownOutcome("POST", "u", errors.TransportError("x"), check="GET u"), False),
        (RuntimeError("bug"), False),
    ],
)
def test_only_errors_that_prove_nothing_was_sent_count_as_not_filed(error, filed_for_sure_not):
    assert not_filed(error) is filed_for_sure_not
