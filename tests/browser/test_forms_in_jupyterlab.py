"""The forms in the real JupyterLab frontend: clicks in Chromium, effects in the sandbox."""

import re

import nbformat
import pytest

from preo_nb.widgets.refund_draft import SCOPE_LABELS

from .conftest import NOTEBOOKS
from .lab import open_and_run, text_of

pytestmark = pytest.mark.timeout(120)


def parameter(notebook, name):
    """A default from the notebook's parameters cell."""
    cells = nbformat.read(NOTEBOOKS / notebook, as_version=4).cells
    source = next(c.source for c in cells if "parameters" in c.metadata.get("tags", []))
    return re.search(rf'^{name} = "([^"]+)"', source, re.MULTILINE)[1]


def test_refund_desk_files_one_refund_from_a_double_click(jupyterlab, browser, sandbox, live):
    from playwright.sync_api import expect

    purchase_id = parameter("refund_desk.ipynb", "purchase_id")
    purchase = live.purchases.retrieve(purchase_id)
    page = open_and_run(browser, jupyterlab, "refund_desk.ipynb", ".preo-refund-reason select")
    form = page.locator(".preo-refund-form")
    expect(form.locator(".preo-status-line")).to_contain_text(f"Found purchase {purchase_id}")
    page.select_option(".preo-refund-reason select", "rental return")  # a Dropdown's options carry its labels
    scope = f"purchase_deposit: {SCOPE_LABELS['purchase_deposit']}"
    expect(page.locator(".preo-refund-scope select")).to_have_value(scope)
    page.click(".preo-refund-preview")
    request = page.locator(".preo-refund-request")
    expect(request).to_contain_text(f"POST /v1/purchases/{purchase_id}/refund")
    expect(request).to_contain_text(f"Money that moves: €{purchase['deposit']:.2f}")
    expect(page.locator(".preo-refund-submit")).to_be_enabled()
    page.dblclick(".preo-refund-submit")
    expect(form.locator(".preo-status-line")).to_contain_text("filed", timeout=20_000)
    expect(form.locator(".preo-problems")).to_contain_text("already has an open refund request")
    made = live.refunds.list(purchase_id=purchase_id)
    assert list(made["reason"]) == ["rental_return"] and list(made["amount"]) == [purchase["deposit"]]
    assert f"Refund request {made['id'][0]} filed" in text_of(page, ".preo-refund-form .preo-status-line")
    page.close()


def test_segment_builder_checks_and_saves_a_clause(jupyterlab, browser, live):
    from playwright.sync_api import expect

    page = open_and_run(browser, jupyterlab, "segment_builder.ipynb", ".preo-segment-kind select")
    page.select_option(".preo-segment-kind select", "Bought a product type")
    page.select_option(".preo-segment-choice select", "drink")
    page.click(".preo-segment-add")
    expect(page.locator(".preo-segment-condition textarea")).to_have_value('has_product_type("drink")')
    expect(page.locator(".preo-segment-local")).to_contain_text("Local check: parses, every name is known")
    expect(page.locator(".preo-segment-server")).to_contain_text("Preo: valid")
    page.fill(".preo-segment-name input", "Drinkers, saved from the browser")
    page.click(".preo-segment-save")
    status = page.locator(".preo-segment-builder .preo-status-line")
    expect(status).to_contain_text("Created seg_", timeout=20_000)
    saved = live.segments.list(search="Drinkers, saved from the browser")
    assert list(saved["condition"]) == ['has_product_type("drink")']
    assert saved["id"][0] in status.inner_text()
    page.close()


def test_email_preview_renders_in_a_sandboxed_frame(jupyterlab, browser, live):
    from playwright.sync_api import expect

    message_id = parameter("email_preview.ipynb", "email_message_id")
    page = open_and_run(browser, jupyterlab, "email_preview.ipynb", ".preo-email-frame")
    frame = page.locator(".preo-email-frame")
    assert frame.get_attribute("sandbox") == ""  # the frontend kept it: no scripts in the message's HTML
    page.locator(".preo-email-value input").first.fill("Ingrid")
    page.click(".preo-email-render")
    rendered = live.email_messages.preview(message_id, context={"user.first_name": "Ingrid"})
    heading = rendered["html"].split("<h1>", 1)[1].split("</h1>", 1)[0]
    expect(page.frame_locator(".preo-email-frame").locator("h1")).to_have_text(heading)
    expect(page.locator(".preo-email-subject")).to_contain_text(rendered["subject"])
    page.close()
