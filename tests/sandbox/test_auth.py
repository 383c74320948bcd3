"""Auth and scoping: 401 without a valid token, 404 outside, 403 below the role."""

from __future__ import annotations

import pytest

from preo_nb.sandbox import Sandbox

from .conftest import Api, RoleApi


@pytest.mark.parametrize(
    ("header", "detail"),
    [
        (None, "Authentication credentials were not provided."),
        ("Bearer sbx_not-a-real-token", "Invalid token."),
        ("Token abc", "Invalid token header. No credentials provided."),
        ("Bearer ", "Invalid token header. No credentials provided."),
    ],
)
def test_missing_or_bad_token_is_401_with_challenge(sb: Sandbox, header: str | None, detail: str) -> None:
    api = Api(sb.url, None)
    if header:
        api.session.headers["Authorization"] = header
    reply = api.get("/v1/editions")
    assert reply.status_code == 401
    assert reply.json() == {"detail": detail}
    assert reply.headers["WWW-Authenticate"] == 'Bearer realm="api"'


def test_every_reply_has_a_request_id(sb: Sandbox, admin: Api) -> None:
    replies = [
        admin.get("/v1/auth/me"),
        admin.get("/v1/nowhere"),
        Api(sb.url, None).get("/v1/auth/me"),
    ]
    ids = [r.headers["X-Request-ID"] for r in replies]
    assert all(len(i) == 32 and int(i, 16) >= 0 for i in ids)
    assert len(set(ids)) == 3


@pytest.mark.parametrize(
    ("role", "expected"),
    [
        ("admin", {1: "admin", 2: "admin"}),
        ("manager", {1: "manager", 2: "staff"}),
        ("staff", {1: "staff"}),
        ("guest", {1: "guest"}),
    ],
)
def test_auth_me_lists_memberships(sb: Sandbox, as_role: RoleApi, role: str, expected: dict[int, str]) -> None:
    me = as_role(role).get("/v1/auth/me").json()
    roles = {o["id"]: o["role"] for o in me["organizations"]}
    assert roles == {sb.store.org_id(n): r for n, r in expected.items()}
    assert me == {**sb.store.staff(role), "organizations": me["organizations"]}
    assert me["email"].endswith("@staff.example.com")


def test_tokens_are_random_prefixed_and_kept_out_of_repr(sb: Sandbox) -> None:
    assert set(sb.tokens) == {"admin", "manager", "staff", "guest"}
    assert sb.token == sb.tokens["admin"]
    assert all(t.startswith("sbx_") and len(t) == 36 for t in sb.tokens.values())
    assert len(set(sb.tokens.values())) == 4
    assert all(t not in repr(sb) for t in sb.tokens.values())


def test_guest_gets_403_inside_and_404_outside(sb: Sandbox, guest: Api) -> None:
    inside, outside = sb.store.edition(org=1), sb.store.edition(org=2)
    assert guest.get(f"/v1/editions/{inside['id']}").status_code == 403
    reply = guest.get(f"/v1/editions/{outside['id']}")
    assert reply.status_code == 404
    assert reply.json() == {"detail": "Not found."}


def test_guest_sees_empty_lists(sb: Sandbox, guest: Api) -> None:
    org1 = sb.store.org_id(1)
    assert guest.get("/v1/editions").json()["count"] == 0
    assert guest.get("/v1/refunds").json()["count"] == 0
    assert guest.get("/v1/users").json()["count"] == 0
    assert guest.get("/v1/orders", organization_id=org1).json()["count"] == 0


def test_staff_reads_its_organization_only(sb: Sandbox, staff: Api) -> None:
    mine, other = sb.store.edition(org=1), sb.store.edition(org=2)
    assert staff.get(f"/v1/editions/{mine['id']}").status_code == 200
    assert staff.get(f"/v1/editions/{other['id']}").status_code == 404
    listed = staff.get("/v1/editions").json()["results"]
    assert {e["organization_id"] for e in listed} == {sb.store.org_id(1)}


def test_writes_need_manager(sb: Sandbox, staff: Api, manager: Api) -> None:
    mine, other = sb.store.edition(org=1), sb.store.edition(org=2)
    body = {"name": "Renamed"}
    assert staff.patch(f"/v1/editions/{mine['id']}", body).status_code == 403
    assert manager.patch(f"/v1/editions/{other['id']}", body).status_code == 403
    assert manager.patch(f"/v1/editions/{mine['id']}", body).status_code == 200


def test_unknown_path_and_method(admin: Api) -> None:
    missing = admin.get("/v1/no-such-thing")
    assert missing.status_code == 404
    assert missing.json() == {"detail": "Not found."}
    wrong = admin.session.delete(admin.base_url + "/v1/auth/me", timeout=10)
    assert wrong.status_code == 405
    assert wrong.json() == {"detail": 'Method "DELETE" not allowed.'}
    assert "GET" in wrong.headers["Allow"]


def test_unknown_object_is_404(admin: Api) -> None:
    for path in ("editions", "orders", "purchases", "users", "refunds"):
        reply = admin.get(f"/v1/{path}/nope_000000000000")
        assert reply.status_code == 404, path
        assert reply.json() == {"detail": "Not found."}


def test_options_is_not_an_operation(admin: Api) -> None:
    reply = admin.session.options(admin.base_url + "/v1/editions", timeout=10)
    assert reply.status_code == 405
    assert reply.json() == {"detail": 'Method "OPTIONS" not allowed.'}
