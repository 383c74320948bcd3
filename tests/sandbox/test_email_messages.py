"""Email messages: scopes and roles, create/update/delete rules, adopt, duplicate, preview, variables."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from preo_nb.sandbox import Sandbox

from .conftest import Api, RoleApi

BASE = "/v1/email-messages"


def messages(sb: Sandbox, **match: object) -> list:
    """Seeded message records matching every attribute given, in seeded order."""
    return [m for m in sb.store.data.email_messages.values() if all(getattr(m, k) == v for k, v in match.items())]


def platform(sb: Sandbox, kind: str = "receipt") -> str:
    return messages(sb, scope="platform", type=kind)[0].id


def template(sb: Sandbox, org: int = 1, kind: str = "campaign") -> str:
    return messages(sb, scope="template", organization_id=sb.store.org_id(org), type=kind)[0].id


def receipt_of(sb: Sandbox, org: int = 1, n: int = 2) -> str:
    """The receipt message an edition links to (in use)."""
    return sb.store.edition(org=org, n=n)["transaction_receipt_email_id"]


def unused(sb: Sandbox) -> str:
    """An edition message of organization 1 that no edition links to (the reminder)."""
    return messages(sb, type="reminder", organization_id=sb.store.org_id(1))[0].id


def delete(api: Api, message_id: str) -> int:
    return api.session.delete(f"{api.base_url}{BASE}/{message_id}", timeout=10).status_code


# -- reading -----------------------------------------------------------------


def test_seeded_editions_keep_their_links_to_their_own_messages(sb: Sandbox, admin: Api) -> None:
    for edition in (sb.store.edition(org=1, n=1), sb.store.edition(org=2, n=1)):
        receipt = admin.get(f"{BASE}/{edition['transaction_receipt_email_id']}").json()
        seen = (receipt["scope"], receipt["edition_id"], receipt["type"])
        assert seen == ("edition", edition["id"], "receipt_online")
        assert receipt["content_blocks"]


def test_list_has_platform_messages_and_the_callers_organizations(sb: Sandbox, staff: Api) -> None:
    rows = staff.get(BASE, page_size=1000).json()["results"]
    assert {r["organization_id"] for r in rows} == {None, sb.store.org_id(1)}
    scopes = {r["scope"] for r in rows}
    assert scopes == {"platform", "template", "edition"}
    assert all(r["organization_id"] is None for r in rows if r["scope"] == "platform")
    assert "content_blocks" not in rows[0]


def test_guest_reads_platform_messages_only(sb: Sandbox, guest: Api) -> None:
    rows = guest.get(BASE).json()["results"]
    assert rows and {r["scope"] for r in rows} == {"platform"}
    assert guest.get(f"{BASE}/{platform(sb)}").status_code == 200
    assert guest.get(f"{BASE}/{platform(sb)}/template-variables").status_code == 200
    assert guest.get(f"{BASE}/{template(sb)}").status_code == 403
    assert guest.get(f"{BASE}/{template(sb, org=2)}").status_code == 404


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"scope": "template"}, {("template",)}),
        ({"type": "refund_confirmation"}, {("refund_confirmation",)}),
    ],
)
def test_list_filters(admin: Api, query: dict, expected: set) -> None:
    rows = admin.get(BASE, page_size=1000, **query).json()["results"]
    assert rows
    assert {tuple(r[k] for k in query) for r in rows} == expected


def test_list_by_organization_leaves_platform_out_and_by_edition_keeps_one_edition(sb: Sandbox, admin: Api) -> None:
    org = sb.store.org_id(2)
    rows = admin.get(BASE, organization_id=org).json()["results"]
    assert rows and {r["organization_id"] for r in rows} == {org}
    edition = sb.store.edition(org=1, n=2)["id"]
    rows = admin.get(BASE, edition_id=edition).json()["results"]
    assert {r["edition_id"] for r in rows} == {edition}
    assert {r["type"] for r in rows} == {"receipt", "receipt_online", "reminder", "refund_confirmation"}


def test_list_orders_by_title_and_refuses_bad_values(admin: Api) -> None:
    titles = [r["title"] for r in admin.get(BASE, ordering="title", page_size=1000).json()["results"]]
    assert titles == sorted(titles, key=str.casefold)
    assert list(admin.get(BASE, scope="global").json()) == ["scope"]
    assert list(admin.get(BASE, ordering="subject").json()) == ["ordering"]


def test_retrieve_has_blocks_in_position_order_with_texts_per_language(sb: Sandbox, admin: Api) -> None:
    detail = admin.get(f"{BASE}/{receipt_of(sb)}").json()
    positions = [b["position"] for b in detail["content_blocks"]]
    assert positions == sorted(positions) == list(range(len(positions)))
    heading = detail["content_blocks"][0]
    assert heading["block_type"] == "heading"
    assert {"en", "da"} <= set(heading["content"]["text"])
    assert "{{ edition.name }}" in detail["subject"]


# -- create, update, delete --------------------------------------------------


def test_create_makes_an_empty_template_or_edition_message(sb: Sandbox, manager: Api) -> None:
    org = sb.store.org_id(1)
    made = manager.post(BASE, {"organization_id": org, "title": "Welcome", "type": "other"})
    assert made.status_code == 201
    assert made.json() | {"id": "x", "created": "x", "modified": "x"} == {
        "id": "x",
        "title": "Welcome",
        "subject": None,
        "type": "other",
        "created": "x",
        "modified": "x",
        "scope": "template",
        "template": "modern",
        "organization_id": org,
        "edition_id": None,
    }
    edition = sb.store.edition(org=1, n=2)["id"]
    own = manager.post(BASE, {"organization_id": org, "title": "Late", "type": "reminder", "edition_id": edition})
    assert (own.json()["scope"], own.json()["edition_id"]) == ("edition", edition)
    assert manager.get(f"{BASE}/{own.json()['id']}").json()["content_blocks"] == []


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"scope": "edition"}, "edition_id"),
        ({"scope": "template", "edition_id": "EDITION"}, "edition_id"),
        ({"edition_id": "OTHER_EDITION"}, "edition_id"),
        ({"scope": "platform"}, "scope"),
        ({"title": "  "}, "title"),
        ({"type": "newsletter"}, "type"),
        ({"template": "classic"}, "template"),
    ],
)
def test_create_refusals_name_the_field(sb: Sandbox, admin: Api, body: dict, field: str) -> None:
    ids = {"EDITION": sb.store.edition(org=1, n=2)["id"], "OTHER_EDITION": sb.store.edition(org=2)["id"]}
    body = {k: ids.get(v, v) for k, v in body.items()}
    reply = admin.post(BASE, {"organization_id": sb.store.org_id(1), "title": "T", "type": "other", **body})
    assert reply.status_code == 400
    assert list(reply.json()) == [field]


def test_create_needs_manager_in_an_organization_of_the_caller(sb: Sandbox, staff: Api, manager: Api) -> None:
    body = {"title": "T", "type": "other"}
    assert staff.post(BASE, {"organization_id": sb.store.org_id(1), **body}).status_code == 403
    assert list(staff.post(BASE, {"organization_id": sb.store.org_id(2), **body}).json()) == ["organization_id"]
    assert manager.post(BASE, {"organization_id": sb.store.org_id(2), **body}).status_code == 403


def test_update_changes_the_shell_and_keeps_the_blocks(sb: Sandbox, manager: Api) -> None:
    message_id = template(sb)
    before = manager.get(f"{BASE}/{message_id}").json()
    reply = manager.patch(f"{BASE}/{message_id}", {"title": "Autumn news", "subject": "Hi {{ user.first_name }}"})
    assert reply.status_code == 200
    after = reply.json()
    assert (after["title"], after["subject"]) == ("Autumn news", "Hi {{ user.first_name }}")
    assert after["content_blocks"] == before["content_blocks"]
    assert after["modified"] >= before["modified"]
    cleared = manager.patch(f"{BASE}/{message_id}", {"subject": None}).json()
    assert cleared["subject"] is None
    assert list(manager.patch(f"{BASE}/{message_id}", {"title": ""}).json()) == ["title"]
    assert list(manager.patch(f"{BASE}/{message_id}", {"type": "sms"}).json()) == ["type"]


def test_platform_messages_are_read_only_for_everyone(sb: Sandbox, as_role: RoleApi) -> None:
    for role in ("admin", "guest"):
        api = as_role(role)
        for reply in (
            api.patch(f"{BASE}/{platform(sb)}", {"title": "Mine now"}),
            api.post(f"{BASE}/{platform(sb)}/duplicate", {}),
        ):
            assert reply.status_code == 409
            assert reply.json()["code"] == "read_only"
        assert delete(api, platform(sb)) == 409


def test_writes_need_manager(sb: Sandbox, staff: Api) -> None:
    assert staff.patch(f"{BASE}/{template(sb)}", {"title": "x"}).status_code == 403
    assert delete(staff, unused(sb)) == 403
    assert staff.post(f"{BASE}/{template(sb)}/duplicate", {}).status_code == 403


def test_delete_refuses_a_message_an_edition_uses(sb: Sandbox, admin: Api) -> None:
    reply = admin.session.delete(f"{admin.base_url}{BASE}/{receipt_of(sb)}", timeout=10)
    assert reply.status_code == 409
    assert reply.json()["code"] == "in_use"
    assert "edition" in reply.json()["detail"]
    assert admin.get(f"{BASE}/{receipt_of(sb)}").status_code == 200


def test_delete_removes_an_unused_message(sb: Sandbox, admin: Api) -> None:
    message_id = unused(sb)
    assert delete(admin, message_id) == 204
    assert admin.get(f"{BASE}/{message_id}").status_code == 404
    assert delete(admin, message_id) == 404


@pytest.mark.parametrize(("status", "expected"), [("draft", 409), ("sending", 409), ("sent", 204), ("cancelled", 204)])
def test_delete_refuses_while_an_unfinished_campaign_uses_it(
    sb: Sandbox, admin: Api, status: str, expected: int
) -> None:
    message_id = template(sb)
    with sb.store.lock:
        campaigns = sb.store.data.campaigns  # the campaigns group's table; a stand-in record is enough here
        campaigns["cmp_stand_in"] = SimpleNamespace(id="cmp_stand_in", email_message_id=message_id, status=status)
    assert delete(admin, message_id) == expected


# -- adopt and duplicate -----------------------------------------------------


def test_adopt_copies_a_platform_message_into_an_edition(sb: Sandbox, manager: Api) -> None:
    edition = sb.store.edition(org=1, n=2)
    source = manager.get(f"{BASE}/{platform(sb, 'refund_confirmation')}").json()
    reply = manager.post(f"{BASE}/{source['id']}/adopt", {"edition_id": edition["id"]})
    assert reply.status_code == 201
    copy = reply.json()
    assert (copy["scope"], copy["edition_id"], copy["organization_id"]) == (
        "edition",
        edition["id"],
        edition["organization_id"],
    )
    assert (copy["title"], copy["type"], copy["subject"]) == (source["title"], source["type"], source["subject"])
    strip = [{k: v for k, v in b.items() if k != "id"} for b in copy["content_blocks"]]
    assert strip == [{k: v for k, v in b.items() if k != "id"} for b in source["content_blocks"]]
    assert not {b["id"] for b in copy["content_blocks"]} & {b["id"] for b in source["content_blocks"]}


def test_adopt_refusals(sb: Sandbox, admin: Api, staff: Api) -> None:
    edition1, edition2 = sb.store.edition(org=1, n=2)["id"], sb.store.edition(org=2)["id"]
    again = admin.post(f"{BASE}/{receipt_of(sb)}/adopt", {"edition_id": edition1})
    assert (again.status_code, again.json()["code"]) == (409, "invalid_state")
    foreign = admin.post(f"{BASE}/{template(sb, org=1)}/adopt", {"edition_id": edition2})
    assert (foreign.status_code, list(foreign.json())) == (400, ["edition_id"])
    assert list(admin.post(f"{BASE}/{platform(sb)}/adopt", {}).json()) == ["edition_id"]
    assert staff.post(f"{BASE}/{platform(sb)}/adopt", {"edition_id": edition1}).status_code == 403
    assert list(staff.post(f"{BASE}/{platform(sb)}/adopt", {"edition_id": edition2}).json()) == ["edition_id"]


def test_duplicate_copies_in_the_same_scope(sb: Sandbox, admin: Api) -> None:
    source = admin.get(f"{BASE}/{template(sb)}").json()
    reply = admin.post(f"{BASE}/{source['id']}/duplicate")
    assert reply.status_code == 201
    copy = reply.json()
    assert (copy["title"], copy["scope"], copy["organization_id"]) == (
        f"{source['title']} (copy)",
        "template",
        source["organization_id"],
    )
    assert len(copy["content_blocks"]) == len(source["content_blocks"])
    named = admin.post(f"{BASE}/{source['id']}/duplicate", {"title": "Winter news"}).json()
    assert named["title"] == "Winter news"


def test_duplicate_moves_an_edition_message_within_its_organization(sb: Sandbox, admin: Api) -> None:
    first, second = sb.store.edition(org=1, n=1)["id"], sb.store.edition(org=1, n=2)["id"]
    source = sb.store.edition(org=1, n=1)["transaction_receipt_email_id"]
    moved = admin.post(f"{BASE}/{source}/duplicate", {"edition_id": second}).json()
    assert (moved["scope"], moved["edition_id"]) == ("edition", second)
    assert admin.get(f"{BASE}/{source}").json()["edition_id"] == first
    other = sb.store.edition(org=2)["id"]
    assert list(admin.post(f"{BASE}/{source}/duplicate", {"edition_id": other}).json()) == ["edition_id"]
    assert list(admin.post(f"{BASE}/{template(sb)}/duplicate", {"edition_id": second}).json()) == ["edition_id"]


# -- preview and variables -------------------------------------------------------


def test_preview_fills_sample_data_in_the_editions_language(sb: Sandbox, staff: Api) -> None:
    reply = staff.post(f"{BASE}/{receipt_of(sb)}/preview")
    assert reply.status_code == 200
    shown = reply.json()
    assert shown["language"] == "da"
    assert shown["subject"] == "Your tickets for Nordlys Festival 2026"
    assert "Tak for din bestilling, Alex!" in shown["html"]
    assert shown["html"].startswith("<!DOCTYPE html>") and 'lang="da"' in shown["html"]
    assert "{{" not in shown["html"]


def test_preview_context_overrides_and_is_escaped_and_unknown_names_stay(sb: Sandbox, staff: Api) -> None:
    message_id = receipt_of(sb)
    staff_ok = staff.post(
        f"{BASE}/{message_id}/preview",
        {
            "language": "en",
            "context": {"user": {"first_name": "<script>x</script>"}, "order.order_number": "A&B-7"},
        },
    )
    shown = staff_ok.json()
    assert shown["language"] == "en"
    assert "Thank you for your order, &lt;script&gt;x&lt;/script&gt;!" in shown["html"]
    assert "<script>" not in shown["html"]
    assert "Order A&amp;B-7:" in shown["html"]
    with sb.store.lock:
        sb.store.data.email_messages[message_id].subject = "{{ coupon.code }} for {{ user.first_name }} & co"
    subject = staff.post(f"{BASE}/{message_id}/preview", {"context": {"user.first_name": "Ann"}}).json()["subject"]
    assert subject == "{{ coupon.code }} for Ann & co"  # plain text: not HTML-escaped


def test_preview_language_fallback_and_refusals(sb: Sandbox, staff: Api, guest: Api) -> None:
    message_id = receipt_of(sb)
    for missing in ("pl", "nl"):  # the edition enables Danish and English only
        assert staff.post(f"{BASE}/{message_id}/preview", {"language": missing}).json()["language"] == "da"
    bad = staff.post(f"{BASE}/{message_id}/preview", {"language": "de"})
    assert (bad.status_code, list(bad.json())) == (400, ["language"])
    assert list(staff.post(f"{BASE}/{message_id}/preview", {"context": ["x"]}).json()) == ["context"]
    assert guest.post(f"{BASE}/{platform(sb)}/preview").status_code == 403
    assert staff.post(f"{BASE}/{platform(sb)}/preview").json()["language"] == "en"


def test_preview_keeps_only_safe_links(sb: Sandbox, admin: Api) -> None:
    message_id = template(sb, kind="user_portal_access")
    evil = admin.post(f"{BASE}/{message_id}/preview", {"context": {"portal_url": "javascript:alert(1)"}}).json()
    assert "javascript:" not in evil["html"] and 'href="#"' in evil["html"]
    good = admin.post(f"{BASE}/{message_id}/preview", {"context": {"portal_url": 'https://x.test/?a=1&b="2"'}})
    assert 'href="https://x.test/?a=1&amp;b=&quot;2&quot;"' in good.json()["html"]


@pytest.mark.parametrize(
    ("kind", "extra"),
    [
        ("receipt", {"order.order_number", "order.created", "order.amount", "purchases"}),
        ("receipt_online", {"order.order_number", "order.created", "order.amount", "purchases"}),
        ("reminder", {"order.order_number", "order.created", "order.amount", "purchases"}),
        ("refund_confirmation", {"refund.amount", "refund.reason"}),
        ("user_portal_access", {"portal_url"}),
        ("campaign", {"unsubscribe_url"}),
        ("other", set()),
    ],
)
def test_template_variables_per_type(sb: Sandbox, staff: Api, kind: str, extra: set) -> None:
    found = staff.get(f"{BASE}/{platform(sb, kind)}/template-variables").json()
    assert (found["type"], found["syntax"]) == (kind, "{{ name }}")
    names = {v["name"] for v in found["variables"]}
    common = {"edition.name", "edition.start_date", "organization.name"}
    assert common <= names
    assert {n for n in names if n.startswith("user.")} >= {"user.first_name", "user.email"}
    assert names - common - {n for n in names if n.startswith("user.")} == extra


def test_template_variables_show_the_messages_own_edition(sb: Sandbox, staff: Api) -> None:
    found = staff.get(f"{BASE}/{receipt_of(sb)}/template-variables").json()
    examples = {v["name"]: v["example"] for v in found["variables"]}
    assert examples["edition.name"] == "Nordlys Festival 2026"
    assert examples["edition.start_date"] == "27 August 2026"
    assert examples["organization.name"] == sb.store.org(1)["name"]
