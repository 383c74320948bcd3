"""Pagination, ordering and filters of list operations (README 3)."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest

from preo_nb.sandbox import Sandbox

from .conftest import Api


def _query(url: str) -> dict[str, list[str]]:
    return parse_qs(urlsplit(url).query)


def test_pages_cover_every_order_once(sb: Sandbox, admin: Api) -> None:
    edition_id = sb.store.edition(org=1, n=2)["id"]
    expected = {o["id"] for o in sb.store.orders(edition_id=edition_id)}
    seen: list[str] = []
    reply = admin.get("/v1/orders", edition_id=edition_id, page_size=10).json()
    assert reply["count"] == len(expected)
    assert reply["previous"] is None
    while True:
        seen += [o["id"] for o in reply["results"]]
        if reply["next"] is None:
            break
        assert reply["next"].startswith(sb.url + "/v1/orders?")
        reply = admin.session.get(reply["next"], timeout=10).json()
    assert len(seen) == len(expected)
    assert set(seen) == expected


def test_next_and_previous_keep_other_params(sb: Sandbox, admin: Api) -> None:
    edition_id = sb.store.edition(org=1, n=2)["id"]
    page2 = admin.get("/v1/orders", edition_id=edition_id, page_size=5, page=2).json()
    assert _query(page2["next"]) == {
        "edition_id": [edition_id],
        "page_size": ["5"],
        "page": ["3"],
    }
    # Like DRF, the link back to the first page carries no page parameter.
    assert _query(page2["previous"]) == {"edition_id": [edition_id], "page_size": ["5"]}


def test_page_past_the_end_is_404(sb: Sandbox, admin: Api) -> None:
    edition_id = sb.store.edition(org=1, n=2)["id"]
    reply = admin.get("/v1/orders", edition_id=edition_id, page=999)
    assert reply.status_code == 404
    assert reply.json() == {"detail": "Invalid page."}


def test_first_page_of_nothing_is_empty(sb: Sandbox, admin: Api) -> None:
    edition_id = sb.store.edition(org=1, n=2)["id"]
    reply = admin.get("/v1/orders", edition_id=edition_id, search="no-such-order")
    assert reply.status_code == 200
    assert reply.json() == {"count": 0, "next": None, "previous": None, "results": []}


def test_default_page_size_is_100(sb: Sandbox, admin: Api) -> None:
    reply = admin.get("/v1/orders", organization_id=sb.store.org_id(1)).json()
    assert reply["count"] > 100
    assert len(reply["results"]) == 100


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"page_size": 0}, "page_size"),
        ({"page_size": "ten"}, "page_size"),
        ({"page": 0}, "page"),
        ({"page": "first"}, "page"),
    ],
)
def test_bad_paging_values_are_400(admin: Api, params: dict, field: str) -> None:
    reply = admin.get("/v1/editions", **params)
    assert reply.status_code == 400
    assert list(reply.json()) == [field]


def test_default_ordering_is_newest_first(sb: Sandbox, admin: Api) -> None:
    org = sb.store.org_id(1)
    created = [o["created"] for o in admin.get("/v1/orders", organization_id=org).json()["results"]]
    assert created == sorted(created, reverse=True)


@pytest.mark.parametrize("ordering", ["amount", "-amount", "order_number", "-status"])
def test_orders_ordering(sb: Sandbox, admin: Api, ordering: str) -> None:
    org = sb.store.org_id(1)
    rows = admin.get("/v1/orders", organization_id=org, ordering=ordering).json()["results"]
    key = ordering.lstrip("-")
    values = [r[key] for r in rows]
    assert values == sorted(values, reverse=ordering.startswith("-"))


def test_editions_ordering_by_name_and_start(admin: Api) -> None:
    by_start = admin.get("/v1/editions", ordering="start_date").json()["results"]
    starts = [e["start_date"] for e in by_start]
    assert starts == sorted(starts)
    by_name = admin.get("/v1/editions", ordering="-name").json()["results"]
    names = [e["name"].casefold() for e in by_name]
    assert names == sorted(names, reverse=True)


def test_unknown_ordering_is_400(admin: Api) -> None:
    reply = admin.get("/v1/editions", ordering="slug")
    assert reply.status_code == 400
    assert list(reply.json()) == ["ordering"]


@pytest.mark.parametrize(
    ("path", "params", "field"),
    [
        ("/v1/orders", {"status": "shipped"}, "status"),
        ("/v1/orders", {"type": "mail"}, "type"),
        ("/v1/orders", {"created_after": "last tuesday"}, "created_after"),
        ("/v1/editions", {"is_archived": "maybe"}, "is_archived"),
        ("/v1/editions", {"status": "ongoing"}, "status"),
        ("/v1/refunds", {"reason": "whim"}, "reason"),
        ("/v1/refunds", {"scope": "everything"}, "scope"),
    ],
)
def test_bad_filter_values_are_400_on_that_param(sb: Sandbox, admin: Api, path: str, params: dict, field: str) -> None:
    reply = admin.get(path, organization_id=sb.store.org_id(1), **params)
    assert reply.status_code == 400
    assert list(reply.json()) == [field]


def test_orders_need_a_scoping_filter(admin: Api) -> None:
    reply = admin.get("/v1/orders", status="completed")
    assert reply.status_code == 400
    assert list(reply.json()) == ["non_field_errors"]


def test_unknown_params_are_ignored(sb: Sandbox, admin: Api) -> None:
    plain = admin.get("/v1/editions").json()
    assert admin.get("/v1/editions", colour="blue").json() == plain


def test_status_and_type_filters(sb: Sandbox, admin: Api) -> None:
    org = sb.store.org_id(1)
    rows = admin.get("/v1/orders", organization_id=org, status="completed", type="online")
    results = rows.json()["results"]
    assert results
    assert {(r["status"], r["type"]) for r in results} == {("completed", "online")}


def test_created_window_filter(sb: Sandbox, admin: Api) -> None:
    org = sb.store.org_id(1)
    after, before = "2026-08-28T00:00:00Z", "2026-08-30T00:00:00+00:00"
    rows = admin.get(
        "/v1/orders",
        organization_id=org,
        created_after=after,
        created_before=before,
        page_size=1000,
    ).json()["results"]
    assert rows
    assert all("2026-08-28" <= r["created"] < "2026-08-30" for r in rows)


def test_text_filters_are_case_insensitive_substrings(sb: Sandbox, admin: Api) -> None:
    order = sb.store.orders(edition_id=sb.store.edition(org=1, n=2)["id"])[0]
    buyer = order["customer"]
    needle = buyer["email"].split("@")[0][2:].upper()
    rows = admin.get("/v1/orders", customer_id=buyer["api_id"], customer_email=needle).json()
    assert order["id"] in {r["id"] for r in rows["results"]}
    by_number = admin.get(
        "/v1/orders",
        edition_id=order["edition_id"],
        search=order["order_number"].lower(),
    ).json()
    assert [r["id"] for r in by_number["results"]] == [order["id"]]


def test_editions_flags_and_status(sb: Sandbox, admin: Api) -> None:
    archived = admin.get("/v1/editions", is_archived="true").json()["results"]
    assert [e["id"] for e in archived] == [sb.store.edition(org=1, n=1)["id"]]
    current = admin.get("/v1/editions", status="current").json()["results"]
    assert [e["id"] for e in current] == [sb.store.edition(org=1, n=2)["id"]]
    assert admin.get("/v1/editions", is_draft="false").json()["count"] == 3


def test_inaccessible_organization_filter_narrows_to_nothing(sb: Sandbox, staff: Api) -> None:
    other = sb.store.org_id(2)
    assert staff.get("/v1/editions", organization_id=other).json()["count"] == 0
    assert staff.get("/v1/orders", organization_id=other).json()["count"] == 0


def test_refund_filters(sb: Sandbox, admin: Api) -> None:
    rows = admin.get("/v1/refunds", status="processed").json()
    assert rows["count"] == len(sb.store.refunds(status="processed"))
    assert {r["status"] for r in rows["results"]} == {"processed"}
    target = sb.store.refunds()[0]
    purchase_id = target["purchase"]["api_id"]
    one = admin.get("/v1/refunds", purchase_id=purchase_id).json()["results"]
    assert target["id"] in {r["id"] for r in one}
    assert {r["purchase"]["api_id"] for r in one} == {purchase_id}
