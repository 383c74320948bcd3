"""Segments: the CEL context description and condition validation (README 4.4)."""

from __future__ import annotations

import pytest

from preo_nb.sandbox import Sandbox
from preo_nb.sandbox.commerce.models import PRODUCT_TYPES

from .conftest import Api

VALIDATE = "/v1/segments/validate-cel"


def test_context_lists_the_documented_variables_and_functions(sb: Sandbox, admin: Api) -> None:
    context = admin.get("/v1/segments/cel-context").json()
    names = [v["name"] for v in context["variables"]]
    assert names == [
        "user.id",
        "user.email",
        "user.phone_number",
        "user.first_name",
        "user.last_name",
        "user.locale",
        "user.created",
        "user.consents",
        "edition_id",
        "purchases",
        "orders",
    ]
    types = {v["name"]: v["type"] for v in context["variables"]}
    assert (types["user.created"], types["user.consents"], types["purchases"]) == (
        "timestamp",
        "list(string)",
        "list(map)",
    )
    functions = {f["name"]: f for f in context["functions"]}
    assert list(functions) == [
        "has_purchased",
        "has_product_type",
        "total_spent",
        "days_since",
        "size",
        "exists",
        "all",
        "matches",
    ]
    assert functions["total_spent"]["syntax"] == "total_spent() -> double"
    for function in context["functions"]:  # every example is itself a valid condition
        assert admin.post(VALIDATE, {"condition": function["example"]}).json()["valid"], function
    assert context["products"] == []
    assert context["dynamic_values"]["purchase_statuses"] == [
        "pending",
        "paid",
        "partially_refunded",
        "refunded",
        "cancelled",
    ]


def test_context_of_an_edition_lists_its_products(sb: Sandbox, admin: Api) -> None:
    edition = sb.store.edition(1, 2)["id"]
    context = admin.get("/v1/segments/cel-context", edition_id=edition).json()
    mine = [p for p in sb.store.data.products.values() if p.edition_id == edition]
    assert context["products"] == [{"id": p.id, "name": p.name, "category_ids": []} for p in mine]
    assert context["dynamic_values"]["product_types"] == list(PRODUCT_TYPES)


def test_context_refusals(sb: Sandbox, admin: Api, staff: Api) -> None:
    assert "edition_id" in admin.get("/v1/segments/cel-context", edition_id="edt_nope").json()
    other = sb.store.edition(2, 1)["id"]
    assert staff.get("/v1/segments/cel-context", edition_id=other).status_code == 400
    assert "organization_id" in staff.get("/v1/segments/cel-context", organization_id=sb.store.org_id(2)).json()
    assert staff.get("/v1/segments/cel-context", organization_id=sb.store.org_id(1)).status_code == 200


@pytest.mark.parametrize(
    "condition",
    [
        'has_product_type("drink") && total_spent() > 50.0',
        'user.email.endsWith("@example.com") || user.phone_number.startsWith("+45")',
        'purchases.exists(p, p.product_type == "ticket" && p.created < timestamp("2026-06-01T00:00:00Z"))',
        "orders.all(o, o.amount > 0.0) && size(user.consents) >= 1",
        'days_since(user.created) < 365 && edition_id != ""',
        "purchases[0].price > 1.0",  # fails at run time for a buyer with nothing, but is valid
    ],
)
def test_valid_conditions(admin: Api, condition: str) -> None:
    assert admin.post(VALIDATE, {"condition": condition}).json() == {"valid": True, "error": None, "errors": []}


@pytest.mark.parametrize(
    ("condition", "message", "line", "column"),
    [
        ("user.email ==", "Syntax error: mismatched input '<EOF>'", 1, 14),
        ('total_spent() > 5.0 &&\n  has_type("food")', "undeclared reference to function 'has_type'", 2, 3),
        ("revenue > 5.0", "undeclared reference to 'revenue'", 1, 1),
        ('user.mail == ""', "user has no field 'mail'", 1, 6),
        ("size(purchases)", "the condition must give a bool, not int", None, None),
        ("user.created", "the condition must give a bool, not timestamp", None, None),
        ("has_product_type(5)", "has_product_type() takes a string, not int", 1, 1),
        ("total_spent(1) > 2.0", "total_spent() takes no arguments, 1 given", 1, 1),
        ("user.email > 5", "No such overload", None, None),
        ("purchases.exists(p, p.colour == 'red')", "no such key: 'colour'", None, None),
    ],
)
def test_invalid_conditions(admin: Api, condition: str, message: str, line: int | None, column: int | None) -> None:
    reply = admin.post(VALIDATE, {"condition": condition})
    assert reply.status_code == 200
    found = reply.json()
    assert found["valid"] is False and found["error"] == found["errors"][0]["message"]
    first = found["errors"][0]
    assert message in first["message"] and (first["line"], first["column"]) == (line, column)


def test_every_syntax_error_is_reported(admin: Api) -> None:
    errors = admin.post(VALIDATE, {"condition": '"unclosed'}).json()["errors"]
    assert len(errors) == 2 and errors[0]["message"].startswith("Syntax error: token recognition error")


@pytest.mark.parametrize(
    "body", [{}, {"condition": 5}, {"condition": None}, {"condition": "true", "edition_id": "edt_x"}]
)
def test_validate_refuses_a_missing_condition_or_unknown_edition(admin: Api, body: dict) -> None:
    reply = admin.post(VALIDATE, body)
    assert reply.status_code == 400 and set(reply.json()) <= {"condition", "edition_id"}


def test_validate_with_an_edition(sb: Sandbox, staff: Api) -> None:
    edition = sb.store.edition(1, 2)["id"]
    assert staff.post(VALIDATE, {"condition": "true", "edition_id": edition}).json()["valid"] is True
