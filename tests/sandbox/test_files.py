"""Files: the media library, uploads both ways, usages and delete refusals (README 4.7)."""

from __future__ import annotations

import base64

import pytest
import requests

from preo_nb.sandbox import Sandbox

from .conftest import Api

PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg=="
)


def upload(api: Api, org_id: str, **extra: object) -> requests.Response:
    """Upload the 1x1 PNG as JSON with base64."""
    body = {"organization_id": org_id, "file_name": "pixel.png", "file_base64": base64.b64encode(PNG).decode()}
    return api.post("/v1/files", body | extra)


def delete(api: Api, file_id: str, **params: str) -> requests.Response:
    return api.session.delete(f"{api.base_url}/v1/files/{file_id}", params=params, timeout=10)


def product_image(sb: Sandbox, org: int = 1) -> dict:
    """A seeded file used as a product's image (the first of that organization)."""
    org_id = sb.store.org_id(org)
    record = next(f for f in sb.store.data.files.values() if f.organization_id == org_id and "product" in f.tags)
    return {"id": record.id, "url": record.file_url}


def test_list_is_newest_first_with_every_tag_in_use(sb: Sandbox, admin: Api) -> None:
    page = admin.get("/v1/files", page_size=1000).json()
    assert page["count"] == len(sb.store.data.files) > 40
    created = [f["created_at"] for f in page["results"]]
    assert created == sorted(created, reverse=True)
    assert {"logo", "banner", "product", "drink"} <= set(page["available_tags"])
    assert page["available_tags"] == sorted(page["available_tags"])


@pytest.mark.parametrize(
    ("params", "check"),
    [
        ({"tags": "logo,banner"}, lambda f: {"logo", "banner"} & set(f["tags"])),
        ({"tags": "LOGO"}, lambda f: "logo" in f["tags"]),
        ({"file_name": "BEER"}, lambda f: "beer" in f["file_name"]),
        ({"created_before": "2026-01-01T00:00:00Z"}, lambda f: f["created_at"] < "2026-01-01"),
        ({"created_after": "2026-01-01"}, lambda f: f["created_at"] >= "2026-01-01"),
    ],
)
def test_list_filters(admin: Api, params: dict, check: object) -> None:
    page = admin.get("/v1/files", page_size=1000, **params).json()
    assert 0 < page["count"] < 60
    assert all(check(f) for f in page["results"])  # type: ignore[operator]


def test_list_orders_by_file_name_and_refuses_unknown_keys(admin: Api) -> None:
    names = [f["file_name"] for f in admin.get("/v1/files", ordering="file_name", page_size=1000).json()["results"]]
    assert names == sorted(names, key=str.casefold)
    assert list(admin.get("/v1/files", ordering="-created").json()) == ["ordering"]


def test_staff_sees_only_its_organization(sb: Sandbox, staff: Api) -> None:
    page = staff.get("/v1/files", page_size=1000).json()
    assert {f["organization_id"] for f in page["results"]} == {sb.store.org_id(1)}
    foreign = product_image(sb, org=2)["id"]
    assert staff.get(f"/v1/files/{foreign}").status_code == 404


def test_upload_as_base64(sb: Sandbox, admin: Api) -> None:
    reply = upload(admin, sb.store.org_id(1), tags=[" poster ", "Event", "event", ""], file_name="C:\\x\\Poster.png")
    assert reply.status_code == 201, reply.json()
    made = reply.json()
    assert (made["file_name"], made["tags"], made["usages"]) == ("Poster.png", ["poster", "Event"], [])
    assert made["file_url"].startswith("https://") and made["api_id"] in made["file_url"]
    assert admin.get(f"/v1/files/{made['api_id']}").json() == made


def test_upload_as_multipart(sb: Sandbox, manager: Api) -> None:
    reply = manager.session.post(
        f"{manager.base_url}/v1/files",
        data={"organization_id": sb.store.org_id(1), "tags": ["logo", "sponsor,partner"]},
        files={"file": ("sponsor.png", PNG, "image/png")},
        timeout=10,
    )
    assert reply.status_code == 201, reply.json()
    assert (reply.json()["file_name"], reply.json()["tags"]) == ("sponsor.png", ["logo", "sponsor", "partner"])


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"file_base64": "not base64!"}, "file_base64"),
        ({"file_base64": ""}, "file_base64"),
        ({"file_name": "  "}, "file_name"),
        ({"file_name": None}, "file_name"),
        ({"organization_id": "org_000000000000"}, "organization_id"),
    ],
)
def test_bad_uploads_are_400_on_the_field(sb: Sandbox, admin: Api, changes: dict, field: str) -> None:
    reply = upload(admin, sb.store.org_id(1), **changes)
    assert reply.status_code == 400
    assert list(reply.json()) == [field]


def test_multipart_without_file_is_400(sb: Sandbox, admin: Api) -> None:
    form = {"organization_id": (None, sb.store.org_id(1))}  # multipart, but no file part
    reply = admin.session.post(f"{admin.base_url}/v1/files", files=form, timeout=10)
    assert (reply.status_code, list(reply.json())) == (400, ["file"])


@pytest.mark.parametrize(("role", "org", "status"), [("staff", 1, 403), ("guest", 1, 403), ("manager", 2, 403)])
def test_uploads_need_manager_in_that_organization(
    sb: Sandbox, as_role: object, role: str, org: int, status: int
) -> None:
    assert upload(as_role(role), sb.store.org_id(org)).status_code == status  # type: ignore[operator]


def test_update_replaces_tags_and_clears_texts(sb: Sandbox, admin: Api, staff: Api) -> None:
    file_id = product_image(sb)["id"]
    reply = admin.patch(f"/v1/files/{file_id}", {"tags": ["menu"], "image_alt_text": None, "caption": "Bar menu"})
    assert reply.status_code == 200
    changed = reply.json()
    assert (changed["tags"], changed["image_alt_text"], changed["caption"]) == (["menu"], None, "Bar menu")
    assert changed["updated_at"] >= changed["created_at"]
    assert staff.patch(f"/v1/files/{file_id}", {"caption": "x"}).status_code == 403


def test_a_product_image_is_in_use_and_force_clears_it(sb: Sandbox, admin: Api) -> None:
    image = product_image(sb)
    used = admin.get(f"/v1/files/{image['id']}").json()["usages"]
    assert [u["model"] for u in used] == ["product"]
    refused = delete(admin, image["id"])
    assert (refused.status_code, refused.json()["code"]) == (409, "in_use")
    assert delete(admin, image["id"], force="yes").status_code == 400
    assert delete(admin, image["id"], force="true").status_code == 204
    assert admin.get(f"/v1/files/{image['id']}").status_code == 404
    product = sb.store.data.products[used[0]["api_id"]]
    assert product.image is None


def test_an_edition_banner_in_use_and_released(sb: Sandbox, admin: Api) -> None:
    edition = sb.store.edition(1, 2)["id"]
    file_id = upload(admin, sb.store.org_id(1)).json()["api_id"]
    admin.patch(f"/v1/editions/{edition}", {"meta_image_id": file_id})
    assert admin.get(f"/v1/files/{file_id}").json()["usages"] == [
        {"model": "edition", "api_id": edition, "name": "2026"}
    ]
    assert delete(admin, file_id).status_code == 409
    assert delete(admin, file_id, force="1").status_code == 204
    assert admin.get(f"/v1/editions/{edition}").json()["meta_image_id"] is None


def test_unused_file_deletes_and_staff_may_not(sb: Sandbox, admin: Api, staff: Api) -> None:
    file_id = upload(admin, sb.store.org_id(1)).json()["api_id"]
    assert delete(staff, file_id).status_code == 403
    assert delete(admin, file_id).status_code == 204
    assert delete(admin, file_id).status_code == 404
