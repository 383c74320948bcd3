"""Every runbook under papermill against a live sandbox, with non-default parameters.

Each test asserts the runbook's effect from the sandbox's state (read back
through the client) and that the executed notebook holds no error and no
secret; nbval replays every runbook offline from its cassette separately.
"""

import json
from pathlib import Path

import nbformat
import pandas as pd
import pytest

from preo_nb import runbooks, runner, testing
from preo_nb.resources.refunds import OPEN_STATUSES
from preo_nb.sandbox.webhooks.receiver import listening

NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"


def code_outputs(notebook):
    return [o for cell in notebook.cells if cell.cell_type == "code" for o in cell.outputs]


def stdout(notebook):
    return "".join(o.text for o in code_outputs(notebook) if o.output_type == "stream" and o.name == "stdout")


@pytest.fixture
def run(sandbox, tmp_path):
    """Run a runbook against the live sandbox; check it for errors and secrets; return it."""
    sandbox.reset()

    def execute(name, **parameters):
        target = tmp_path / f"{name}-{len(list(tmp_path.glob('*.ipynb')))}.ipynb"
        env = {"PREO_BASE_URL": sandbox.url, "PREO_API_TOKEN": sandbox.token, testing.CASSETTE_ENV: None}
        with runner.environment(env):
            runner.run_notebook(NOTEBOOKS / f"{name}.ipynb", target, parameters, timeout=120)
        text = target.read_text(encoding="utf-8")
        assert testing.find_secrets(text, known=tuple(sandbox.tokens.values())) == []
        notebook = nbformat.reads(text, as_version=4)
        assert [o for o in code_outputs(notebook) if o.output_type == "error"] == []
        assert notebook.metadata.papermill.parameters == parameters  # and nothing else travels as one
        return notebook

    return execute


def test_six_runbooks_with_their_parameters():
    found = {book.name: runbooks.parameters(book.path) for book in runbooks.discover(NOTEBOOKS)}
    assert set(found) == {"orders_report", "cancelled_event_refunds", "import_external_orders",
                          "campaign_report", "webhook_health", "refund_queue_daily"}
    assert {"dry_run", "journal", "product_types", "reason"} <= set(found["cancelled_event_refunds"])
    assert all("token" not in name.lower() for parameters in found.values() for name in parameters)


def test_orders_report_on_another_edition_exports_what_it_shows(run, sandbox, live, tmp_path):
    edition = sandbox.store.edition(org=2)["id"]
    since = sandbox.store.recent_since(edition, days=10)
    notebook = run("orders_report", edition_id=edition, since=since, output_dir=str(tmp_path / "out"))
    orders = live.orders.list(edition_id=edition, created_after=since)
    assert f"{len(orders)} orders, " in stdout(notebook)
    assert f", {len(live.refunds.list(edition_id=edition))} refund requests" in stdout(notebook)
    assert sum("image/png" in o.get("data", {}) for o in code_outputs(notebook)) == 1
    exported = pd.read_parquet(tmp_path / "out" / edition / "orders.parquet")
    assert sorted(exported["id"]) == sorted(orders["id"])
    assert (tmp_path / "out" / edition / "purchases.csv").is_file()


def test_cancelled_event_refunds_twice_refunds_each_candidate_once(run, sandbox, live, tmp_path):
    edition = sandbox.store.edition(org=2)["id"]
    purchases = live.orders.purchases(edition_id=edition)
    requests = live.refunds.list(edition_id=edition)
    already = set(requests.loc[requests["status"].isin(OPEN_STATUSES), "purchase.api_id"])
    burger = purchases.loc[purchases["product.name"] == "Burger", "product.api_id"].iloc[0]
    chosen = purchases["metadata"].str.get("product_type").eq("rental") | purchases["product.api_id"].eq(burger)
    refundable = purchases["status"].isin(["paid", "partially_refunded"]) & ~purchases["api_id"].isin(already)
    candidates = set(purchases.loc[chosen & refundable, "api_id"])
    assert len(candidates) > 10

    parameters = {"edition_id": edition, "product_types": ["rental"], "product_ids": [burger], "dry_run": False,
                  "journal": str(tmp_path / "refunds.sqlite")}
    run("cancelled_event_refunds", **parameters)
    run("cancelled_event_refunds", **parameters)  # a rerun: resumes, refunds nothing twice

    after = live.refunds.list(edition_id=edition)
    new = after[~after["id"].isin(requests["id"])]
    assert sorted(new["purchase.api_id"]) == sorted(candidates)  # exactly one each
    assert set(new["reason"]) == {"event_cancelled"}
    assert set(pd.read_csv(tmp_path / "refunds.csv")["purchase_id"]) == candidates


def test_import_external_orders_with_its_own_columns(run, sandbox, live, tmp_path):
    edition = sandbox.store.busiest_edition()["id"]
    sheet = tmp_path / "box-office.csv"
    pd.DataFrame({"Ref": ["BO-1", "BO-1", "BO-2"], "Mail": ["a@box.example", "a@box.example", "b@box.example"],
                  "Item": ["Day ticket", "Burger", "Weekend pass"], "Count": [2, 1, 1]}).to_csv(sheet, index=False)
    overrides = {"Ref": "order_id", "Mail": "customer_email", "Item": "product_code", "Count": "quantity"}
    notebook = run("import_external_orders", csv_path=str(sheet), edition_id=edition, service="box-office",
                   mapping_overrides=overrides)
    imported = live.orders.list(edition_id=edition, type="imported")
    assert sorted(imported["order_number"]) == ["BO-1", "BO-2"]
    assert "2 orders imported" in stdout(notebook)


def test_import_external_orders_stops_when_mappings_are_incomplete(run, sandbox, live, tmp_path):
    edition = sandbox.store.busiest_edition()["id"]
    with pytest.raises(runner.RunbookFailed, match="Column mappings are incomplete") as info:
        run("import_external_orders", edition_id=edition, mapping_overrides={})  # Product/Qty left unmapped
    assert "product_code" in str(info.value)
    assert live.orders.list(edition_id=edition, type="imported").empty


def test_campaign_report_of_another_edition(run, sandbox, live):
    edition = sandbox.store.edition(org=1, n=1)["id"]  # the 2025 edition
    notebook = run("campaign_report", edition_id=edition)
    campaigns = live.campaigns.list(edition_id=edition)
    statuses = ", ".join(campaigns["status"].astype(str))
    sent = 0 if campaigns.empty else int(campaigns["sent_count"].sum())
    assert stdout(notebook).strip().endswith(f"{len(campaigns)} campaigns ({statuses}); {sent} messages sent")


def test_webhook_health_retries_failed_deliveries_of_active_endpoints(run, sandbox, live):
    org = sandbox.store.org_id(1)
    with listening() as hook:
        hook.status = 500
        endpoint = live.webhooks.create(organization_id=org, name="flaky", url=hook.url, events=["*"])
        live.refunds.approve(sandbox.store.find_refund(org=1, status="requested")["id"])
        assert sandbox.wait_for_deliveries()
        failed = live.webhooks.list_deliveries(endpoint["id"], status="failed")
        assert len(failed) == 1
        hook.status = 200
        run("webhook_health", organization_id=org, dry_run=False)
    delivery = live.webhooks.retrieve_delivery(endpoint["id"], failed["id"].iloc[0])
    assert (delivery["status"], delivery["attempts"]) == ("success", 2)
    paused = live.webhooks.list(organization_id=org, is_active=False)["id"].iloc[0]
    assert len(live.webhooks.list_deliveries(paused, status="failed")) == 1  # a paused endpoint's is left alone


def test_refund_queue_daily_approves_only_what_the_rules_allow(run, sandbox, live):
    edition = sandbox.store.busiest_edition()["id"]
    before = live.refunds.list(edition_id=edition, status="requested")
    rule = before["reason"].isin(["overcharge"]) & (before["amount"] <= 2.0)
    assert rule.any() and not rule.all()
    run("refund_queue_daily", edition_id=edition, approve_reasons=["overcharge"], max_amount=2.0, dry_run=False)
    after = live.refunds.list(edition_id=edition).set_index("id")
    assert set(after.loc[before.loc[rule, "id"], "status"]) <= {"ready", "processing"}
    assert set(after.loc[before.loc[~rule, "id"], "status"]) == {"requested"}


def test_dry_runs_change_nothing(run, sandbox, live):
    before = live.refunds.list()
    run("refund_queue_daily", edition_id=sandbox.store.busiest_edition()["id"])
    run("cancelled_event_refunds")
    after = live.refunds.list()
    pd.testing.assert_frame_equal(before, after)


def test_index_page_links_every_executed_runbook(tmp_path):
    books = runbooks.discover(NOTEBOOKS)
    results = []
    for n, book in enumerate(books):
        executed = tmp_path / f"{book.name}.ipynb"
        executed.write_text(json.dumps({"cells": []}))
        results.append((book, executed, None if n else "cell 3 failed: KeyError"))
    page = runbooks.write_index(tmp_path, results).read_text()
    assert all(f"{book.name}.ipynb" in page for book in books)
    assert page.count("class='ok'") == len(books) - 1 and "cell 3 failed: KeyError" in page
