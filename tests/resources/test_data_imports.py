import pandas as pd
import pytest

import preo_nb
from preo_nb import contract

SALES = pd.DataFrame(
    {
        "Order": ["BL-1", "BL-1", "BL-2"],
        "E-mail": ["ann@example.com", "ann@example.com", "bob@example.com"],
        "Name": ["Ann Berg", "Ann Berg", "Bob Dahl"],
        "Product": ["Day ticket", "Burger", "BL-DAY"],  # BL-DAY: the partner's own code
        "Quantity": [2, 1, 1],
        "Price": [80.0, None, 20.0],
    }
)


def running_edition(preo):
    """The edition selling right now (Nordlys Festival 2026)."""
    return preo.editions.list(status="current")["id"].iloc[0]


def seeded(preo, stage):
    """The first seeded import in a stage."""
    return preo.data_imports.list(stage=stage)["id"].iloc[0]


@pytest.mark.vcr
def test_list_shows_the_seeded_stages_typed(preo):
    df = preo.data_imports.list()
    assert list(df["stage"].cat.categories) == list(contract.enum("DataImportStage"))
    assert set(df["stage"]) == {"uploaded", "needs_column_mapping", "needs_product_mapping", "failed"}
    assert df["row_count"].dtype == "Int64" and df["edition.name"].dtype == "string"
    assert df.loc[df["stage"] == "failed", "error_message"].str.contains(".xls").all()
    with_cancelled = preo.data_imports.list(include_cancelled=True)
    assert len(with_cancelled) == len(df) + 1
    mine = preo.data_imports.list(edition_id=running_edition(preo), ordering="stage")
    assert [i["id"] for i in preo.data_imports.iterate(edition_id=running_edition(preo), ordering="stage")] == (
        mine["id"].tolist()
    )


@pytest.mark.vcr
def test_a_spreadsheet_becomes_orders(preo):
    edition = running_edition(preo)
    made = preo.data_imports.create(edition_id=edition, file=SALES, name="Billetlugen week 35")
    assert (made["stage"], made["data_file_name"]) == ("uploaded", "orders.csv")
    assert preo.data_imports.wait(made["id"], interval=0)["stage"] == "needs_column_mapping"
    columns = preo.data_imports.list_column_mappings(made["id"])
    assert columns.set_index("column")["target_field"].to_dict()["Quantity"] == "quantity"
    assert columns.attrs["required_fields"] == ["customer_email", "product_code", "quantity"]
    mapped = preo.data_imports.update_column_mappings(
        made["id"],
        mappings={
            "Order": "order_id",
            "E-mail": "customer_email",
            "Name": "customer_full_name",
            "Product": "product_code",
            "Price": "unit_price",
        },
    )
    assert mapped["target_field"].notna().all()
    assert preo.data_imports.validate_column_mappings(made["id"]) == {"valid": True, "errors": [], "warnings": []}
    assert preo.data_imports.process_column_mappings(made["id"])["stage"] == "needs_product_mapping"
    products = preo.data_imports.list_product_mappings(made["id"]).set_index("product_code")
    assert products["product_id"].isna().tolist() == [False, False, True]
    day_ticket = products.loc["Day ticket", "product_id"]
    updated = preo.data_imports.update_product_mappings(made["id"], mappings={"BL-DAY": day_ticket})
    assert updated["product_id"].notna().all()
    preview = preo.data_imports.preview_orders(made["id"])
    assert (preview.attrs["total_orders"], preview.attrs["total_rows"]) == (2, 3)
    assert preview["order_id"].tolist() == ["BL-1", "BL-2"] and preview["amount"].dtype == "float64"
    assert preo.data_imports.start_import(made["id"])["stage"] == "importing"
    done = preo.data_imports.wait(made["id"], interval=0)
    assert (done["stage"], done["imported_order_count"]) == ("completed", 2)
    orders = preo.orders.list(edition_id=edition, type="imported")
    assert sorted(orders["order_number"]) == ["BL-1", "BL-2"]
    assert orders.set_index("order_number").loc["BL-2", "amount"] == 20.0


@pytest.mark.vcr
def test_external_orders_are_imported_once(preo):
    orders = [
        {
            "order_id": "TM-1001",
            "customer_email": "cy@example.com",
            "customer_first_name": "Cy",
            "created": "2026-08-30T12:00:00+02:00",
            "items": [{"product_code": "Weekend pass", "quantity": 2, "unit_price": 199.0}],
        }
    ]
    edition = running_edition(preo)
    made = preo.data_imports.import_external_orders(edition_id=edition, service="ticketmaster", orders=orders)
    assert (made["stage"], made["name"]) == ("importing", "ticketmaster import")
    assert preo.data_imports.wait(made["id"], interval=0)["imported_order_count"] == 1
    imported = preo.orders.list(edition_id=edition, order_number="TM-1001")
    assert imported["amount"].tolist() == [398.0]
    with pytest.raises(preo_nb.Conflict) as info:
        preo.data_imports.import_external_orders(edition_id=edition, service="ticketmaster", orders=orders)
    assert info.value.code == "duplicate_order"
    with pytest.raises(preo_nb.BadRequest) as bad:
        kebab = {
            "order_id": "P-1",
            "customer_email": "d@example.com",
            "items": [{"product_code": "Kebab", "quantity": 1}],
        }
        preo.data_imports.import_external_orders(edition_id=edition, service="pos", orders=[kebab])
    assert "Kebab" in bad.value.field_errors["orders"][0]


@pytest.mark.vcr
def test_an_incomplete_mapping_is_refused(preo):
    waiting = seeded(preo, "needs_column_mapping")
    check = preo.data_imports.validate_column_mappings(waiting)
    assert check["valid"] is False and any("quantity" in e for e in check["errors"])
    with pytest.raises(preo_nb.BadRequest) as info:
        preo.data_imports.process_column_mappings(waiting)
    assert info.value.field_errors["mappings"] == check["errors"]
    assert preo.data_imports.retrieve(waiting)["stage"] == "needs_column_mapping"


@pytest.mark.vcr
def test_rename_then_cancel(preo):
    waiting = seeded(preo, "needs_product_mapping")
    renamed = preo.data_imports.update(waiting, name="Crew 2026")
    assert renamed["name"] == "Crew 2026"
    with pytest.raises(preo_nb.Conflict):
        preo.data_imports.update(waiting, default_country_code="+46")  # after the columns were processed
    with pytest.raises(preo_nb.BadRequest) as info:
        preo.data_imports.start_import(waiting)
    assert list(info.value.field_errors) == ["product_mappings"]
    assert preo.data_imports.cancel(waiting)["stage"] == "cancelled"
    assert waiting not in preo.data_imports.list()["id"].tolist()
    with pytest.raises(preo_nb.Conflict) as again:
        preo.data_imports.cancel(waiting)
    assert again.value.code == "invalid_state"


@pytest.mark.vcr
def test_staff_reads_but_does_not_import(preo_as):
    staff = preo_as("staff")
    waiting = seeded(staff, "needs_product_mapping")
    assert not staff.data_imports.list_product_mappings(waiting).empty
    with pytest.raises(preo_nb.PermissionDenied):
        staff.data_imports.start_import(waiting)
