"""Acceptance: a 1,000-row CSV of external orders goes through the whole file workflow."""

import random

import pandas as pd


def test_a_thousand_external_orders_become_imported_orders(live, sandbox, tmp_path):
    edition = live.editions.list(status="current")["id"].iloc[0]
    products = [p["name"] for p in live.segments.cel_context(edition_id=edition)["products"]]
    pick = random.Random(7)
    rows = pd.DataFrame(
        {
            "order_id": [f"EXT-{n:05d}" for n in range(1000)],
            "customer_email": [f"guest{pick.randrange(300)}@partner.example" for _ in range(1000)],
            "product_code": [pick.choice(products) for _ in range(1000)],
            "quantity": [pick.randint(1, 3) for _ in range(1000)],
        }
    )
    path = tmp_path / "partner-orders.csv"
    rows.to_csv(path, index=False)
    assert live.orders.list(edition_id=edition, type="imported").empty

    job = live.data_imports.create(edition_id=edition, file=path, name="Partner sales")
    assert live.data_imports.wait(job["id"], interval=0)["row_count"] == 1000
    suggested = live.data_imports.list_column_mappings(job["id"]).set_index("column")["target_field"]
    assert suggested.to_dict() == {name: name for name in rows.columns}  # headers equal to field names
    assert live.data_imports.validate_column_mappings(job["id"])["valid"] is True
    live.data_imports.process_column_mappings(job["id"])
    assert live.data_imports.list_product_mappings(job["id"])["product_id"].notna().all()  # names match
    live.data_imports.start_import(job["id"])
    done = live.data_imports.wait(job["id"], interval=0)

    assert (done["stage"], done["imported_order_count"]) == ("completed", 1000)
    imported = live.orders.list(edition_id=edition, type="imported")
    assert len(imported) == 1000
    assert sorted(imported["order_number"]) == sorted(rows["order_id"])
