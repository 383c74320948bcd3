"""Every runbook under papermill against a live sandbox, with non-default parameters.

Each test asserts the runbook's effect from the sandbox's state (read back
through the client) and that the executed notebook holds no error and no
secret; nbval replays every runbook offline from its cassette separately.
"""

import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import nbformat
import pandas as pd
import pytest

from preo_nb import demo, runbooks, runner, testing
from preo_nb.errors import PreoValidationError
from preo_nb.refund_rules import OPEN_STATES
from preo_nb.sandbox.webhooks.receiver import listening

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOKS = ROOT / "preo_nb" / "notebooks"
RUNBOOKS = {
    "orders_report",
    "cancelled_event_refunds",
    "import_external_orders",
    "campaign_report",
    "webhook_health",
    "refund_queue_daily",
}
WITH_DRY_RUN = ["cancelled_event_refunds", "refund_queue_daily", "webhook_health"]


def code_outputs(notebook):
    return [o for cell in notebook.cells if cell.cell_type == "code" for o in cell.outputs]


def stdout(notebook):
    return "".join(o.text for o in code_outputs(notebook) if o.output_type == "stream" and o.name == "stdout")


def summary(notebook):
    """The runbook's first output, which must be its summary (Markdown)."""
    first = code_outputs(notebook)[0]
    assert first.output_type == "display_data", first
    return first.data["text/markdown"].replace("\\", "")  # unescape Markdown for plain comparisons


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
        assert "NBVAL" not in text  # test markers are cell tags, never text a report shows
        assert testing.find_secrets(text, known=tuple(sandbox.tokens.values())) == []
        notebook = nbformat.reads(text, as_version=4)
        assert [o for o in code_outputs(notebook) if o.output_type == "error"] == []
        assert notebook.metadata.papermill.parameters == parameters  # and nothing else travels as one
        return notebook

    return execute


def test_six_runbooks_with_their_parameters():
    found = {book.name: runbooks.parameters(book.path) for book in runbooks.discover(NOTEBOOKS)}
    assert set(found) == RUNBOOKS
    assert {"dry_run", "journal", "product_types", "reason"} <= set(found["cancelled_event_refunds"])
    assert all("token" not in name.lower() for parameters in found.values() for name in parameters)
    flags = {name for name, parameters in found.items() if any(p["type"] == "bool" for p in parameters.values())}
    assert sorted(flags) == WITH_DRY_RUN  # each one is checked below
    assert runbooks.discover(runbooks.packaged()) == runbooks.discover(NOTEBOOKS)


@pytest.mark.parametrize("value", [True, False])
def test_a_flag_is_exactly_a_boolean(value):
    assert runbooks.flag("dry_run", value) is value


@pytest.mark.parametrize("value", ["", "false", "False", 0, 1, None, "null", "no", [], 0.0])
def test_anything_else_is_refused_with_the_value_named(value):
    with pytest.raises(PreoValidationError, match=r"dry_run: must be True or False, not .*-p dry_run False"):
        runbooks.flag("dry_run", value)


@pytest.mark.parametrize(
    ("name", "value"),
    [("cancelled_event_refunds", v) for v in ("", "false", 0, None, "null")]
    + [(name, "") for name in WITH_DRY_RUN[1:]],
)
def test_a_dry_run_that_is_not_a_boolean_stops_before_anything_is_sent(run, sandbox, live, name, value):
    # an edition with hundreds of refundable tickets and rules that match requested refunds: with
    # `if dry_run:` reading "", 0 or None as false, these runs would file or approve refunds
    edition = {"cancelled_event_refunds": sandbox.store.edition(org=2)["id"]}.get(
        name, sandbox.store.busiest_edition()["id"]
    )
    parameters = {"dry_run": value, **({} if name == "webhook_health" else {"edition_id": edition})}
    before = live.refunds.list()
    # cell 4 of the executed notebook: the two introductions, the parameters, papermill's injected ones, the check
    with pytest.raises(runner.RunbookFailed, match=r"cell 4 .* PreoValidationError: dry_run: must be True or False"):
        run(name, **parameters)
    pd.testing.assert_frame_equal(live.refunds.list(), before)


def test_papermills_own_command_line_is_refused_too(sandbox, live, tmp_path):
    edition = sandbox.store.edition(org=2)["id"]
    before = live.refunds.list(edition_id=edition)
    env = {**os.environ, "PREO_BASE_URL": sandbox.url, "PREO_API_TOKEN": sandbox.token}
    env.pop(testing.CASSETTE_ENV, None)
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "papermill",
            str(NOTEBOOKS / "cancelled_event_refunds.ipynb"),
            str(tmp_path / "out.ipynb"),
            "-p",
            "edition_id",
            edition,
            "-p",
            "dry_run",
            "",
        ],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode != 0
    assert "dry_run: must be True or False, not ''" in done.stderr
    pd.testing.assert_frame_equal(live.refunds.list(edition_id=edition), before)


def test_a_runbook_without_its_edition_stops_before_reading_anything(run):
    with pytest.raises(runner.RunbookFailed, match=r"edition_id: is required: pass -p edition_id") as info:
        run("orders_report", since="2026-08-30")
    assert "edt_" not in str(info.value).split(" failed: ")[1]  # no sandbox id stood in for the real one


def test_orders_report_on_another_edition_exports_what_it_shows(run, sandbox, live, tmp_path):
    edition = sandbox.store.edition(org=2)["id"]
    since = sandbox.store.recent_since(edition, days=10)
    pushed = live.data_imports.import_external_orders(
        edition_id=edition,
        service="box-office",
        orders=[
            {
                "order_id": "BO-1",
                "customer_email": "eve@box.example",
                "customer_first_name": '=HYPERLINK("http://x")',
                "items": [{"product_code": "Burger", "quantity": 1}],
            }
        ],
    )
    live.data_imports.wait(pushed["id"], interval=0)
    notebook = run("orders_report", edition_id=edition, since=since, output_dir=str(tmp_path / "out"))
    orders = live.orders.list(edition_id=edition, created_after=since)
    assert f"- Orders placed (any status): **{len(orders):,}**" in summary(notebook)
    assert f"- Refund requests (all time): **{len(live.refunds.list(edition_id=edition)):,}**" in summary(notebook)
    assert sum("image/png" in o.get("data", {}) for o in code_outputs(notebook)) == 1
    exported = pd.read_parquet(tmp_path / "out" / edition / "orders.parquet")
    assert sorted(exported["id"]) == sorted(orders["id"])
    assert (tmp_path / "out" / edition / "purchases.csv").is_file()
    exported = pd.read_csv(tmp_path / "out" / edition / "orders.csv", dtype=str).set_index("order_number")
    assert exported.loc["BO-1", "customer.full_name"].startswith("'=HYPERLINK")  # text, not a formula


def test_cancelled_event_refunds_twice_refunds_each_candidate_once(run, sandbox, live, tmp_path):
    edition = sandbox.store.edition(org=2)["id"]
    purchases = live.orders.purchases(edition_id=edition)
    requests = live.refunds.list(edition_id=edition)
    already = set(requests.loc[requests["status"].isin(OPEN_STATES), "purchase.api_id"])
    burger = purchases.loc[purchases["product.name"] == "Burger", "product.api_id"].iloc[0]
    chosen = purchases["metadata"].str.get("product_type").eq("rental") | purchases["product.api_id"].eq(burger)
    refundable = purchases["status"].isin(["paid", "partially_refunded"]) & ~purchases["api_id"].isin(already)
    candidates = set(purchases.loc[chosen & refundable, "api_id"])
    assert len(candidates) > 10

    parameters = {
        "edition_id": edition,
        "product_types": ["rental"],
        "product_ids": [burger],
        "dry_run": False,
        "journal": str(tmp_path / "refunds.sqlite"),
    }
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
    pd.DataFrame(
        {
            "Ref": ["BO-1", "BO-1", "BO-2"],
            "Mail": ["a@box.example", "a@box.example", "b@box.example"],
            "Item": ["Day ticket", "Burger", "Weekend pass"],
            "Count": [2, 1, 1],
        }
    ).to_csv(sheet, index=False)
    overrides = {"Ref": "order_id", "Mail": "customer_email", "Item": "product_code", "Count": "quantity"}
    notebook = run(
        "import_external_orders",
        csv_path=str(sheet),
        edition_id=edition,
        service="box-office",
        mapping_overrides=overrides,
    )
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
    statuses = ", ".join(campaigns["status"].astype(str)) or "none"
    sent = 0 if campaigns.empty else int(campaigns["sent_count"].sum())
    assert f"- Campaigns: **{len(campaigns)} ({statuses})**\n- Messages sent: **{sent:,}**" in summary(notebook)


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
    run("cancelled_event_refunds", edition_id=sandbox.store.edition(org=2)["id"])
    after = live.refunds.list()
    pd.testing.assert_frame_equal(before, after)


def test_index_page_links_every_report_and_notebook_and_says_which_is_which(tmp_path):
    books = runbooks.discover(NOTEBOOKS)
    results = [
        demo.DemoResult(books[0], tmp_path / "a.failed.ipynb", tmp_path / "a.failed.html", error="cell 3: KeyError"),
        demo.DemoResult(books[1], tmp_path / "b.ipynb", tmp_path / "b.html", kernel_errors=("KeyboardInterrupt",)),
        *(demo.DemoResult(book, tmp_path / f"{book.name}.ipynb", tmp_path / f"{book.name}.html") for book in books[2:]),
    ]
    page = demo.write_index(tmp_path, results).read_text()
    assert all(f"href='{book.name}.html'" in page and f"href='{book.name}.ipynb'" in page for book in books[2:])
    assert "report to forward (no code)" in page and "notebook with code" in page
    assert page.count("class='ok'") == len(books) - 2
    assert "failed: cell 3: KeyError" in page and "failure page (with code)" in page
    assert "its kernel logged an error: KeyboardInterrupt" in page  # not "ran cleanly"


def test_the_wheel_ships_every_runbook_and_runs_them_outside_the_checkout(tmp_path):
    source = tmp_path / "source"
    source.mkdir()
    for name in ("setup.cfg", "pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, source)
    shutil.copytree(ROOT / "preo_nb", source / "preo_nb", ignore=shutil.ignore_patterns("__pycache__", "exports"))
    built = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(tmp_path / "dist"), str(source)],
        capture_output=True,
        text=True,
        timeout=240,
    )
    assert built.returncode == 0, built.stderr
    wheel = next((tmp_path / "dist").glob("preo_nb-*.whl"))
    shipped = set(zipfile.ZipFile(wheel).namelist())
    notebooks = {f"preo_nb/notebooks/{path.name}" for path in NOTEBOOKS.glob("*.ipynb")}
    assert len(notebooks) == 9 and notebooks <= shipped  # the six runbooks and the three form notebooks
    assert "preo_nb/notebooks/data/partner-orders.csv" in shipped
    zipfile.ZipFile(wheel).extractall(tmp_path / "site")

    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    env = {**os.environ, "PYTHONPATH": str(tmp_path / "site"), "PREO_NB_PROGRESS": "off"}
    env.pop(testing.CASSETTE_ENV, None)

    def preo_nb_command(*args):
        return subprocess.run(
            [sys.executable, "-m", "preo_nb.cli", *args],
            cwd=elsewhere,
            env=env,
            capture_output=True,
            text=True,
            timeout=240,
        )

    where = subprocess.run(
        [sys.executable, "-c", "import preo_nb; print(preo_nb.__file__)"],
        cwd=elsewhere,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    ).stdout
    assert where.startswith(str(tmp_path / "site"))  # the wheel's copy, not the checkout's
    listed = preo_nb_command("runbooks")
    assert listed.returncode == 0, listed.stderr
    assert {line.split(":")[0] for line in listed.stdout.splitlines() if not line.startswith(" ")} == RUNBOOKS
    # the bundled sample CSV is found from the installed package; outputs land in the current folder
    ran = preo_nb_command("run", "import_external_orders", "--sandbox", "--scale", "tiny")
    assert ran.returncode == 0, ran.stderr
    executed = elsewhere / "preo-rehearsal" / "import_external_orders.ipynb"
    assert f"Done: {executed}" in ran.stdout
    assert "orders imported" in stdout(nbformat.read(executed, as_version=4))
