"""Request bodies the JSON parser accepts but no field can hold: refused with a 400, never a 500."""

from __future__ import annotations

import pytest
import requests

from preo_nb.sandbox import Sandbox

from .conftest import Api

HUGE = "1" + "0" * 400  # JSON allows it; as a float it is infinite


def post_raw(api: Api, path: str, raw: str) -> requests.Response:
    """POST text as a JSON body, exactly as given."""
    return api.session.post(
        api.base_url + path, data=raw.encode(), headers={"Content-Type": "application/json"}, timeout=30
    )


def refundable(sb: Sandbox) -> str:
    return sb.store.find_purchase(status="paid", refundable=True)["api_id"]


@pytest.mark.parametrize(
    ("number", "message"),
    [
        ("NaN", "A valid number is required."),
        ("Infinity", "A valid number is required."),
        ("-Infinity", "A valid number is required."),
        ("1e400", "A valid number is required."),
        (HUGE, "Ensure this value is less than or equal to 1000000000000."),
        ("-1e30", "Ensure this value is greater than or equal to -1000000000000."),
    ],
)
def test_an_amount_no_money_can_be_is_400_on_amount(sb: Sandbox, admin: Api, number: str, message: str) -> None:
    raw = f'{{"reason": "compensation", "amount": {number}}}'
    reply = post_raw(admin, f"/v1/purchases/{refundable(sb)}/refund", raw)
    assert (reply.status_code, reply.json()) == (400, {"amount": [message]})
    raw = f'{{"purchase_id": "{refundable(sb)}", "reason": "other", "amount": {number}}}'
    reply = post_raw(admin, "/v1/refunds", raw)
    assert (reply.status_code, reply.json()) == (400, {"amount": [message]})
    assert not [e for e in sb.store.data.emitted if e["event"] == "refund_request.created"]


def test_a_nested_number_is_named_by_its_path(sb: Sandbox, admin: Api) -> None:
    edition = sb.store.edition(1, 2)["id"]
    raw = (
        f'{{"edition_id": "{edition}", "service": "pos", "orders": [{{"order_id": "X", "customer_email": '
        f'"a@example.com", "items": [{{"product_code": "Burger", "quantity": 1, "unit_price": 1e400}}]}}]}}'
    )
    reply = post_raw(admin, "/v1/data-imports/import-external-orders", raw)
    assert (reply.status_code, reply.json()) == (
        400,
        {"orders": ["orders[0].items[0].unit_price: A valid number is required."]},
    )


def test_a_quantity_the_sandbox_cannot_create_is_400(sb: Sandbox, admin: Api) -> None:
    body = {
        "edition_id": sb.store.edition(1, 2)["id"],
        "service": "pos",
        "orders": [
            {
                "order_id": "X",
                "customer_email": "a@example.com",
                "items": [{"product_code": "Burger", "quantity": 10**9}],
            }
        ],
    }
    reply = admin.post("/v1/data-imports/import-external-orders", body)
    assert (reply.status_code, reply.json()) == (400, {"orders": ["Order X: quantity must be at most 1000."]})


@pytest.mark.parametrize("depth", [65, 100_000])
def test_json_nested_too_deep_is_400(sb: Sandbox, admin: Api, depth: int) -> None:
    raw = '{"reason": "other", "comment": ' + "[" * depth + "]" * depth + "}"
    reply = post_raw(admin, f"/v1/purchases/{refundable(sb)}/refund", raw)
    assert (reply.status_code, reply.json()) == (
        400,
        {"non_field_errors": ["JSON parse error - the body nests deeper than 64 levels."]},
    )


def test_json_nested_within_the_limit_is_read(sb: Sandbox, admin: Api) -> None:
    nested = '{"a": ' * 60 + "1" + "}" * 60
    raw = f'{{"language": "en", "context": {nested}}}'
    message = next(iter(sb.store.data.email_messages))
    assert post_raw(admin, f"/v1/email-messages/{message}/preview", raw).status_code == 200
