"""Runbooks under papermill against a live sandbox (nbval replays them offline separately)."""

import json
from pathlib import Path

import nbformat
import pytest

from preo_nb import runner, testing

NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"


def outputs(notebook):
    return [o for cell in notebook.cells if cell.cell_type == "code" for o in cell.outputs]


def stdout_of_last_cell(notebook):
    code = [c for c in notebook.cells if c.cell_type == "code"]
    return "".join(o.text for o in code[-1].outputs if o.output_type == "stream" and o.name == "stdout")


@pytest.fixture
def run(sandbox, tmp_path):
    """Run a runbook against the live sandbox with the given parameters; return the executed notebook."""
    sandbox.reset()

    def execute(name, **parameters):
        target = tmp_path / name
        env = {"PREO_BASE_URL": sandbox.url, "PREO_API_TOKEN": sandbox.token, testing.CASSETTE_ENV: None}
        with runner.environment(env):
            runner.run_notebook(NOTEBOOKS / name, target, parameters, timeout=120)
        return target

    return execute


def test_orders_report_with_other_parameters(run, sandbox, live):
    edition = sandbox.store.edition(org=2)  # not the notebook's default edition
    since = sandbox.store.recent_since(edition["id"], days=10)
    path = run("orders_report.ipynb", edition_id=edition["id"], since=since)
    notebook = nbformat.read(path, as_version=4)
    assert [o for o in outputs(notebook) if o.output_type == "error"] == []
    assert sum("image/png" in o.get("data", {}) for o in outputs(notebook)) == 1
    orders = live.orders.list(edition_id=edition["id"], created_after=since)
    refunds = live.refunds.list(edition_id=edition["id"])
    assert stdout_of_last_cell(notebook).startswith(f"{len(orders)} orders, ")
    assert f", {len(refunds)} refund requests" in stdout_of_last_cell(notebook)
    assert notebook.metadata.papermill.parameters == {"edition_id": edition["id"], "since": since}


def test_no_secret_in_an_executed_notebook(run, sandbox):
    path = run("orders_report.ipynb")
    text = path.read_text(encoding="utf-8")
    assert testing.find_secrets(text, known=tuple(sandbox.tokens.values())) == []
    metadata = json.loads(text)["metadata"]["papermill"]
    assert set(metadata["parameters"]) == set()
    assert not set(metadata.get("environment_variables", {})) & {"PREO_API_TOKEN"}
