"""The contract checker: it accepts real replies and catches broken ones."""

from __future__ import annotations

import pytest

from preo_nb.conformance import check_response as check
from preo_nb.sandbox import Faults, Sandbox, build, issue_tokens
from preo_nb.sandbox.app import create_app
from preo_nb.sandbox.commerce import render
from preo_nb.sandbox.web.contract_check import ContractChecker

from .conftest import Api

JSON = "application/json"


@pytest.fixture
def refund(sb: Sandbox, admin: Api) -> dict:
    refund_id = sb.store.find_refund(status="processed")["id"]
    return admin.get(f"/v1/refunds/{refund_id}").json()


def test_a_real_reply_conforms(refund: dict) -> None:
    assert check("refunds_retrieve", 200, JSON, refund) == []


def test_raw_bytes_are_parsed(sb: Sandbox, admin: Api) -> None:
    reply = admin.get(f"/v1/editions/{sb.store.edition()['id']}")
    assert check("editions_retrieve", 200, reply.headers["Content-Type"], reply.content) == []


def test_a_missing_required_field_is_caught(refund: dict) -> None:
    del refund["amount"]
    problems = check("refunds_retrieve", 200, JSON, refund)
    assert len(problems) == 1
    assert problems[0].startswith("refunds_retrieve 200: at <root>:")
    assert "'amount' is a required property" in problems[0]


@pytest.mark.parametrize(
    ("path", "value", "where"),
    [
        (("created",), "yesterday", "created"),
        (("staff_user", "email"), "not-an-email", "staff_user/email"),
        (("can_approve",), "true", "can_approve"),
        (("status",), "paid", "status"),
        (("transaction", "amount"), "12.50", "transaction/amount"),
    ],
)
def test_wrong_values_are_caught_with_their_path(
    refund: dict, path: tuple[str, ...], value: object, where: str
) -> None:
    node = refund
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = value
    problems = check("refunds_retrieve", 200, JSON, refund)
    assert [p.split(": ")[1] for p in problems] == [f"at {where}"]


def test_undeclared_status_and_content_type_are_caught(refund: dict) -> None:
    assert check("refunds_retrieve", 418, JSON, refund) == [
        "refunds_retrieve 418: status not declared for this operation"
    ]
    html = check("refunds_retrieve", 200, "text/html; charset=utf-8", "<p>hi</p>")
    assert html and "content type 'text/html'" in html[0]
    assert check("no_such_operation", 200, JSON, {}) != []


def test_error_bodies_are_checked_too() -> None:
    assert check("refunds_approve", 409, JSON, {"detail": "No.", "code": "invalid_state"}) == []
    assert check("refunds_approve", 409, JSON, {"code": "invalid_state"}) != []
    assert check("editions_create", 400, JSON, {"name": ["This field is required."]}) == []
    assert check("editions_create", 400, JSON, {"name": "required"}) != []


def test_the_installed_checker_records_broken_replies(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    store = build(1, "tiny")
    token = issue_tokens(store)["admin"]
    checker = ContractChecker()
    app = create_app(store, faults=Faults(), checker=checker)
    original = render.edition

    def without_slug(*args: object, **kwargs: object) -> dict:
        body = original(*args, **kwargs)
        del body["slug"]
        return body

    monkeypatch.setattr(render, "edition", without_slug)
    reply = app.test_client().get(
        f"/v1/editions/{store.edition()['id']}",
        headers={"Authorization": f"Bearer {token}"},
    )
    assert reply.status_code == 200
    assert len(checker.violations) == 1
    assert checker.violations[0].startswith(f"GET /v1/editions/{store.edition()['id']}: editions_retrieve 200")
    assert "'slug' is a required property" in checker.violations[0]
    checker.clear()
    assert checker.violations == []
