"""Take the README's screenshots of the four forms, in JupyterLab, with seed-1 sandbox data.

Usage: ``python scripts/screenshots.py`` (needs the browser extra and /usr/bin/chromium).
Writes ``docs/screenshots/{refund_form,refund_queue,email_preview,segment_builder}.png``.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from preo_nb import runbooks  # noqa: E402 - after the path that finds the tests' helpers
from preo_nb.sandbox import running  # noqa: E402
from tests.browser import lab  # noqa: E402

SHOTS = ROOT / "docs" / "screenshots"
NOTEBOOKS = runbooks.forms(ROOT / "preo_nb" / "notebooks")


def wide(page: Any) -> Any:
    """Fold JupyterLab's side bar away so the form gets the page's width."""
    page.evaluate("() => window.jupyterapp.shell.collapseLeft()")
    return page


def refund_desk(context: Any, jupyterlab: lab.Lab) -> None:
    """The form with a previewed refund; the queue after approving two requests."""
    from playwright.sync_api import expect

    page = wide(lab.open_and_run(context, jupyterlab, "refund_desk.ipynb", ".preo-refund-reason select"))
    expect(page.locator(".preo-refund-form .preo-status-line")).to_contain_text("Found purchase")
    page.select_option(".preo-refund-reason select", "rental return")
    page.fill(".preo-refund-comment textarea", "Locker key returned at the rental booth")
    page.click(".preo-refund-preview")
    expect(page.locator(".preo-refund-request")).to_contain_text("Money that moves")
    page.locator(".preo-refund-form").screenshot(path=SHOTS / "refund_form.png")
    page.wait_for_selector(".preo-refund-queue .preo-queue-check input")
    boxes = page.locator(".preo-refund-queue .preo-queue-check input:not([disabled])")
    boxes.nth(0).check()
    boxes.nth(1).check()
    page.click(".preo-queue-approve")
    expect(page.locator(".preo-refund-queue .preo-status-line")).to_contain_text("Approved 2 of 2")
    page.locator(".preo-refund-queue").screenshot(path=SHOTS / "refund_queue.png")
    page.close()


def email_preview(context: Any, jupyterlab: lab.Lab) -> None:
    """A receipt rendered in Danish with a typed first name."""
    from playwright.sync_api import expect

    page = wide(lab.open_and_run(context, jupyterlab, "email_preview.ipynb", ".preo-email-frame"))
    page.locator(".preo-email-value input").first.fill("Ingrid")
    page.click(".preo-email-render")
    expect(page.locator(".preo-email-preview .preo-status-line")).to_contain_text("Rendered")
    page.wait_for_timeout(500)  # the iframe paints its new document
    page.locator(".preo-email-preview").screenshot(path=SHOTS / "email_preview.png")
    page.close()


def segment_builder(context: Any, jupyterlab: lab.Lab) -> None:
    """Two clauses, saved, calculated and exported."""
    from playwright.sync_api import expect

    page = wide(lab.open_and_run(context, jupyterlab, "segment_builder.ipynb", ".preo-segment-kind select"))
    page.select_option(".preo-segment-kind select", "Total spent")
    page.select_option(".preo-segment-operator select", ">")
    page.fill(".preo-segment-value input", "50")
    page.click(".preo-segment-add")
    page.select_option(".preo-segment-kind select", "Bought a product type")
    page.select_option(".preo-segment-choice select", "drink")
    page.click(".preo-segment-add")
    expect(page.locator(".preo-segment-server")).to_contain_text("Preo: valid")
    page.fill(".preo-segment-name input", "Thirsty big spenders 2026")
    page.click(".preo-segment-save")
    status = page.locator(".preo-segment-builder .preo-status-line")
    expect(status).to_contain_text("Created")
    page.click(".preo-segment-recalc")
    expect(status).to_contain_text("Calculation completed", timeout=30_000)
    page.click(".preo-segment-export")
    expect(status).to_contain_text("Exported")
    page.locator(".preo-segment-builder").screenshot(path=SHOTS / "segment_builder.png")
    page.close()


def main() -> None:
    """Start a sandbox and JupyterLab, take the four screenshots, stop everything."""
    why = lab.missing()
    if why:
        raise SystemExit(why)
    SHOTS.mkdir(parents=True, exist_ok=True)
    with running(seed=1, scale="small") as sb, tempfile.TemporaryDirectory() as folder:
        jupyterlab = lab.start(Path(folder), NOTEBOOKS, {"PREO_BASE_URL": sb.url, "PREO_API_TOKEN": sb.token})
        try:
            with lab.chromium(Path(folder) / "chromium-home", width=1300, height=2400) as context:
                for take in (refund_desk, email_preview, segment_builder):
                    take(context, jupyterlab)
        finally:
            lab.stop(jupyterlab)
    print("\n".join(str(p.relative_to(ROOT)) for p in sorted(SHOTS.glob("*.png"))))


if __name__ == "__main__":
    main()
