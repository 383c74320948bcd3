"""Data imports: the file workflow, external orders, refusals and roles (README 4.5)."""

from __future__ import annotations

import base64
import io

import pytest
import requests

from preo_nb.sandbox import Sandbox

from .conftest import Api

CSV = (
    "\ufeffOrder;E-mail;Name;Phone;Product;Quantity;Price\n"
    "A-1;ann@example.com;Ann Berg;20 30 40 50;Day ticket;2;80,00\n"
    "A-1;ann@example.com;Ann Berg;20 30 40 50;Burger;1;\n"
    "A-2;BOB@example.com;Bob Dahl;+4612345678;Tent spot;1;25.50\n"
)
MAPPING = {
    "Order": "order_id",
    "E-mail": "customer_email",
    "Name": "customer_full_name",
    "Phone": "customer_phone",
    "Product": "product_code",
    "Price": "unit_price",
}


def b64(content: str | bytes) -> str:
    raw = content.encode("utf-8") if isinstance(content, str) else content
    return base64.b64encode(raw).decode()


def current_edition(sb: Sandbox) -> str:
    """Organization 1's running edition (Nordlys Festival 2026)."""
    return sb.store.edition(1, 2)["id"]


def create(api: Api, edition_id: str, content: str | bytes = CSV, name: str = "partner.csv") -> requests.Response:
    return api.post(
        "/v1/data-imports", {"edition_id": edition_id, "data_file_base64": b64(content), "data_file_name": name}
    )


def mapped(sb: Sandbox, api: Api, content: str | bytes = CSV) -> str:
    """An import of ``content`` read and column-mapped with MAPPING; returns its id."""
    import_id = create(api, current_edition(sb), content).json()["id"]
    assert api.get(f"/v1/data-imports/{import_id}").json()["stage"] == "needs_column_mapping"
    body = {"mappings": [{"column": c, "target_field": t} for c, t in MAPPING.items()]}
    assert api.patch(f"/v1/data-imports/{import_id}/column-mappings", body).status_code == 200
    return import_id


def processed(sb: Sandbox, api: Api) -> str:
    """An import with its columns processed, products left to map; returns its id."""
    import_id = mapped(sb, api)
    assert api.post(f"/v1/data-imports/{import_id}/process-column-mappings").status_code == 200
    return import_id


def tent_product(sb: Sandbox) -> str:
    """A rental product of the current edition (the file's 'Tent spot' has no match)."""
    edition = current_edition(sb)
    return next(p.id for p in sb.store.data.products.values() if p.edition_id == edition and p.type == "rental")


def test_seeded_imports_show_the_stages_and_hide_cancelled(admin: Api) -> None:
    shown = admin.get("/v1/data-imports").json()["results"]
    assert {i["stage"] for i in shown} == {"uploaded", "needs_column_mapping", "needs_product_mapping", "failed"}
    every = admin.get("/v1/data-imports", include_cancelled="true").json()["results"]
    assert [i["stage"] for i in every if i not in shown] == ["cancelled"]
    assert admin.get("/v1/data-imports", stage="cancelled").json()["count"] == 1
    created = [i["created"] for i in shown]
    assert created == sorted(created, reverse=True)


def test_list_filters_by_edition_and_service(sb: Sandbox, admin: Api) -> None:
    edition = current_edition(sb)
    mine = admin.get("/v1/data-imports", edition_id=edition).json()["results"]
    assert mine and {i["edition"]["id"] for i in mine} == {edition}
    assert admin.get("/v1/data-imports", service="ticketmaster").json()["count"] == 0
    assert list(admin.get("/v1/data-imports", stage="done").json()) == ["stage"]


def test_a_file_import_from_upload_to_orders(sb: Sandbox, admin: Api) -> None:
    made = create(admin, current_edition(sb))
    assert made.status_code == 201
    assert (made.json()["stage"], made.json()["service"], made.json()["name"]) == ("uploaded", "file", "partner")
    import_id = made.json()["id"]
    read = admin.get(f"/v1/data-imports/{import_id}").json()
    assert (read["stage"], read["row_count"]) == ("needs_column_mapping", 3)
    columns = admin.get(f"/v1/data-imports/{import_id}/column-mappings").json()
    assert [(c["column"], c["target_field"]) for c in columns["results"]][5] == ("Quantity", "quantity")
    assert columns["required_fields"] == ["customer_email", "product_code", "quantity"]
    assert columns["results"][6]["sample_values"] == ["80,00", "25.50"]
    body = {"mappings": [{"column": c, "target_field": t} for c, t in MAPPING.items()]}
    admin.patch(f"/v1/data-imports/{import_id}/column-mappings", body)
    assert admin.post(f"/v1/data-imports/{import_id}/process-column-mappings").json()["stage"] == (
        "needs_product_mapping"
    )
    codes = admin.get(f"/v1/data-imports/{import_id}/product-mappings").json()["results"]
    assert [(c["product_code"], c["row_count"], c["product_id"] is None) for c in codes] == [
        ("Day ticket", 1, False),
        ("Burger", 1, False),
        ("Tent spot", 1, True),
    ]
    admin.patch(
        f"/v1/data-imports/{import_id}/product-mappings",
        {"mappings": [{"product_code": "Tent spot", "product_id": tent_product(sb)}]},
    )
    preview = admin.get(f"/v1/data-imports/{import_id}/preview-orders").json()
    assert (preview["total_orders"], preview["total_rows"]) == (2, 3)
    assert preview["orders"][0]["amount"] == 80 * 2 + 12.5  # Burger: the product's price
    assert preview["orders"][1]["customer_phone"] == "+4612345678"
    assert admin.post(f"/v1/data-imports/{import_id}/start-import").json()["stage"] == "importing"
    done = admin.get(f"/v1/data-imports/{import_id}").json()
    assert (done["stage"], done["imported_order_count"]) == ("completed", 2)


def test_imported_orders_join_the_sales(sb: Sandbox, admin: Api) -> None:
    known = sb.store.data.customers[next(iter(sb.store.data.customers))]
    content = CSV.replace("ann@example.com", known.email.upper())
    import_id = mapped(sb, admin, content)
    admin.post(f"/v1/data-imports/{import_id}/process-column-mappings")
    admin.patch(
        f"/v1/data-imports/{import_id}/product-mappings",
        {"mappings": [{"product_code": "Tent spot", "product_id": tent_product(sb)}]},
    )
    admin.post(f"/v1/data-imports/{import_id}/start-import")
    admin.get(f"/v1/data-imports/{import_id}")
    orders = admin.get("/v1/orders", edition_id=current_edition(sb), type="imported").json()["results"]
    assert sorted(o["order_number"] for o in orders) == ["A-1", "A-2"]
    first = next(o for o in orders if o["order_number"] == "A-1")
    assert (first["status"], first["amount"], first["transaction_id"]) == ("completed", 172.5, None)
    assert first["customer"]["api_id"] == known.id  # matched by e-mail, any case
    detail = admin.get(f"/v1/orders/{first['id']}").json()
    assert len(detail["purchases"]) == 3  # one purchase per unit
    assert detail["purchases"][0]["metadata"]["data_import_id"] == import_id
    second = next(o for o in orders if o["order_number"] == "A-2")
    assert second["customer"]["full_name"] == "Bob Dahl"
    events = [e["event"] for e in sb.store.data.emitted]
    assert events == ["order.created", "order.created", "data_import.completed"]


def test_an_xlsx_file_is_read(sb: Sandbox, admin: Api) -> None:
    from openpyxl import Workbook

    book = Workbook()
    book.active.append(["customer_email", "product_code", "quantity", "unit_price"])
    book.active.append(["ann@example.com", "Burger", 2, 12.5])
    out = io.BytesIO()
    book.save(out)
    import_id = create(admin, current_edition(sb), out.getvalue(), "sales.xlsx").json()["id"]
    assert admin.get(f"/v1/data-imports/{import_id}").json()["row_count"] == 1
    columns = admin.get(f"/v1/data-imports/{import_id}/column-mappings").json()["results"]
    assert [(c["target_field"], c["sample_values"]) for c in columns][2:] == [
        ("quantity", ["2"]),
        ("unit_price", ["12.5"]),
    ]


@pytest.mark.parametrize(
    ("content", "name", "message"),
    [
        ("customer_email;quantity\n", "header-only.csv", "no data rows"),
        (b"PK\x03\x04 broken", "broken.xlsx", "not a readable .xlsx"),
        (b"\xd0\xcf\x11\xe0", "old.xls", ".xls"),
    ],
)
def test_an_unreadable_file_fails_with_a_message(
    sb: Sandbox, admin: Api, content: str | bytes, name: str, message: str
) -> None:
    import_id = create(admin, current_edition(sb), content, name).json()["id"]
    failed = admin.get(f"/v1/data-imports/{import_id}").json()
    assert failed["stage"] == "failed" and message in failed["error_message"]
    assert [e["event"] for e in sb.store.data.emitted] == ["data_import.failed"]
    refused = admin.get(f"/v1/data-imports/{import_id}/column-mappings")
    assert (refused.status_code, refused.json()["code"]) == (409, "invalid_state")


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"data_file_name": "orders.pdf"}, "data_file_name"),
        ({"data_file_base64": "%%%"}, "data_file_base64"),
        ({"edition_id": "edt_000000000000"}, "edition_id"),
        ({"default_country_code": "+999"}, "default_country_code"),
    ],
)
def test_bad_uploads_are_400_on_the_field(sb: Sandbox, admin: Api, changes: dict, field: str) -> None:
    body = {"edition_id": current_edition(sb), "data_file_base64": b64(CSV), "data_file_name": "x.csv"}
    reply = admin.post("/v1/data-imports", body | changes)
    assert (reply.status_code, list(reply.json())) == (400, [field])


def test_column_mapping_rules(sb: Sandbox, admin: Api) -> None:
    import_id = create(admin, current_edition(sb)).json()["id"]
    admin.get(f"/v1/data-imports/{import_id}")
    path = f"/v1/data-imports/{import_id}"
    check = admin.post(f"{path}/validate-column-mappings").json()
    assert check["valid"] is False and len(check["errors"]) == 2  # e-mail and product code unmapped
    twice = {
        "mappings": [
            {"column": "E-mail", "target_field": "customer_email"},
            {"column": "Name", "target_field": "customer_email"},
        ]
    }
    admin.patch(f"{path}/column-mappings", twice)
    assert any("mapped 2 times" in e for e in admin.post(f"{path}/validate-column-mappings").json()["errors"])
    refused = admin.post(f"{path}/process-column-mappings")
    assert (refused.status_code, list(refused.json())) == (400, ["mappings"])
    assert admin.get(path).json()["stage"] == "needs_column_mapping"
    unknown = admin.patch(f"{path}/column-mappings", {"mappings": [{"column": "Nope", "target_field": None}]})
    assert (unknown.status_code, list(unknown.json())) == (400, ["mappings"])
    bad_target = admin.patch(f"{path}/column-mappings", {"mappings": [{"column": "Name", "target_field": "name"}]})
    assert bad_target.status_code == 400


def test_full_name_with_first_name_warns(sb: Sandbox, admin: Api) -> None:
    import_id = mapped(sb, admin)
    admin.patch(
        f"/v1/data-imports/{import_id}/column-mappings",
        {"mappings": [{"column": "Phone", "target_field": "customer_first_name"}]},
    )
    check = admin.post(f"/v1/data-imports/{import_id}/validate-column-mappings").json()
    assert (check["valid"], len(check["warnings"])) == (True, 1)


def test_bad_rows_are_refused_with_their_numbers(sb: Sandbox, admin: Api) -> None:
    content = CSV + "A-3;not-an-email;X;;Burger;1;\nA-4;c@example.com;Y;;Burger;0;\n"
    import_id = mapped(sb, admin, content)
    refused = admin.post(f"/v1/data-imports/{import_id}/process-column-mappings")
    assert refused.status_code == 400
    assert [m.split(":")[0] for m in refused.json()["rows"]] == ["Row 4", "Row 5"]


def test_product_mapping_refusals(sb: Sandbox, admin: Api) -> None:
    import_id = processed(sb, admin)
    path = f"/v1/data-imports/{import_id}"
    unmapped = admin.post(f"{path}/start-import")
    assert (unmapped.status_code, list(unmapped.json())) == (400, ["product_mappings"])
    other_edition = next(p.id for p in sb.store.data.products.values() if p.edition_id != current_edition(sb))
    for mapping in (
        {"product_code": "Tent spot", "product_id": other_edition},
        {"product_code": "Nope", "product_id": None},
    ):
        reply = admin.patch(f"{path}/product-mappings", {"mappings": [mapping]})
        assert (reply.status_code, list(reply.json())) == (400, ["mappings"])


@pytest.mark.parametrize(
    ("method", "step"),
    [("get", "preview-orders"), ("get", "product-mappings"), ("post", "start-import")],
)
def test_steps_outside_their_stage_are_409(sb: Sandbox, admin: Api, method: str, step: str) -> None:
    import_id = mapped(sb, admin)
    reply = getattr(admin, method)(f"/v1/data-imports/{import_id}/{step}")
    assert (reply.status_code, reply.json()["code"]) == (409, "invalid_state")


def test_no_column_step_before_the_file_is_read(sb: Sandbox, admin: Api) -> None:
    import_id = create(admin, current_edition(sb)).json()["id"]
    for reply in (
        admin.get(f"/v1/data-imports/{import_id}/column-mappings"),
        admin.post(f"/v1/data-imports/{import_id}/validate-column-mappings"),
    ):
        assert (reply.status_code, reply.json()["code"]) == (409, "invalid_state")


def test_cancel_and_update_follow_the_stage(sb: Sandbox, admin: Api) -> None:
    import_id = processed(sb, admin)
    path = f"/v1/data-imports/{import_id}"
    late = admin.patch(path, {"default_country_code": "+46"})
    assert (late.status_code, late.json()["code"]) == (409, "invalid_state")
    assert admin.patch(path, {"name": "Partner presale week 1"}).json()["name"] == "Partner presale week 1"
    assert admin.post(f"{path}/cancel").json()["stage"] == "cancelled"
    again = admin.post(f"{path}/cancel")
    assert (again.status_code, again.json()["code"]) == (409, "invalid_state")


def test_external_orders_import_and_refuse_duplicates(sb: Sandbox, admin: Api) -> None:
    body = {
        "edition_id": current_edition(sb),
        "service": "ticketmaster",
        "orders": [
            {
                "order_id": "TM-1",
                "customer_email": "cy@example.com",
                "customer_phone": "0045 11 22 33 44",
                "created": "2026-08-30T12:00:00+02:00",
                "items": [{"product_code": "Weekend pass", "quantity": 2, "unit_price": 200}],
            }
        ],
    }
    made = admin.post("/v1/data-imports/import-external-orders", body)
    assert made.status_code == 201
    assert (made.json()["stage"], made.json()["name"], made.json()["data_file_name"]) == (
        "importing",
        "ticketmaster import",
        None,
    )
    done = admin.get(f"/v1/data-imports/{made.json()['id']}").json()
    assert (done["stage"], done["imported_order_count"]) == ("completed", 1)
    order = admin.get("/v1/orders", edition_id=body["edition_id"], order_number="TM-1").json()["results"][0]
    assert (order["amount"], order["created"], order["customer"]["phone_number"]) == (
        400.0,
        "2026-08-30T10:00:00Z",
        "+4511223344",
    )
    again = admin.post("/v1/data-imports/import-external-orders", body)
    assert (again.status_code, again.json()["code"]) == (409, "duplicate_order")
    elsewhere = admin.post("/v1/data-imports/import-external-orders", body | {"service": "eventbrite"})
    assert elsewhere.status_code == 201


def order(code: str = "Burger", quantity: int = 1, email: str = "a@example.com") -> dict:
    """One external order of one item."""
    return {"order_id": "X", "customer_email": email, "items": [{"product_code": code, "quantity": quantity}]}


@pytest.mark.parametrize(
    "orders",
    [
        [order(code="Tent")],
        [order(), order()],
        [order(email="nope")],
        [order(quantity=0)],
        [order() | {"items": []}],
    ],
    ids=["unknown product", "order twice", "bad e-mail", "zero quantity", "no items"],
)
def test_bad_external_orders_are_400_on_orders(sb: Sandbox, admin: Api, orders: list) -> None:
    body = {"edition_id": current_edition(sb), "service": "ticketmaster", "orders": orders}
    reply = admin.post("/v1/data-imports/import-external-orders", body)
    assert (reply.status_code, list(reply.json())) == (400, ["orders"])
    assert not [e for e in sb.store.data.emitted if e["event"] == "order.created"]


def test_a_forced_failure_imports_nothing(sb: Sandbox, admin: Api) -> None:
    body = {
        "edition_id": current_edition(sb),
        "service": "pos",
        "orders": [
            {"order_id": "P-1", "customer_email": "a@example.com", "items": [{"product_code": "Burger", "quantity": 1}]}
        ],
    }
    import_id = admin.post("/v1/data-imports/import-external-orders", body).json()["id"]
    admin.post("/_sandbox/faults", {"fail_import": [import_id]})
    failed = admin.get(f"/v1/data-imports/{import_id}").json()
    assert failed["stage"] == "failed" and "forced" in failed["error_message"]
    assert admin.get("/v1/orders", edition_id=body["edition_id"], type="imported").json()["count"] == 0
    assert [e["event"] for e in sb.store.data.emitted] == ["data_import.failed"]


def test_the_same_file_twice_fails_the_second_import(sb: Sandbox, admin: Api) -> None:
    for _ in range(2):
        import_id = processed(sb, admin)
        admin.patch(
            f"/v1/data-imports/{import_id}/product-mappings",
            {"mappings": [{"product_code": "Tent spot", "product_id": tent_product(sb)}]},
        )
        admin.post(f"/v1/data-imports/{import_id}/start-import")
        last = admin.get(f"/v1/data-imports/{import_id}").json()
    assert last["stage"] == "failed" and "A-1, A-2" in last["error_message"]


def test_roles(sb: Sandbox, staff: Api, manager: Api, as_role: object) -> None:
    seeded = staff.get("/v1/data-imports").json()["results"]
    assert seeded and {i["edition"]["id"] for i in seeded} <= {
        e.id for e in sb.store.data.editions.values() if e.organization_id == sb.store.org_id(1)
    }
    assert staff.post(f"/v1/data-imports/{seeded[0]['id']}/cancel").status_code == 403
    assert create(staff, current_edition(sb)).status_code == 403
    jazz = sb.store.edition(2, 1)["id"]
    assert create(manager, jazz).status_code == 403  # manager is only staff in organization 2
    foreign = next(i.id for i in sb.store.data.data_imports.values() if i.edition_id == jazz)
    assert staff.get(f"/v1/data-imports/{foreign}").status_code == 404
    assert as_role(None).get("/v1/data-imports").status_code == 401  # type: ignore[operator]


def test_a_wrong_method_names_only_the_action_s_method(admin: Api) -> None:
    # /import-external-orders also matches /{id}; its 405 must not offer GET or PATCH.
    reply = admin.session.delete(f"{admin.base_url}/v1/data-imports/import-external-orders", timeout=10)
    assert (reply.status_code, reply.headers["Allow"]) == (405, "POST")
