"""The registries read from the shipped notebooks' metadata."""

from __future__ import annotations

import json

from preo_nb import runbooks


def _code(path):
    cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
    return "\n".join("".join(cell["source"]) for cell in cells if cell["cell_type"] == "code")


def test_the_forms_are_the_notebooks_that_build_a_form():
    """A new form notebook without ``"form": true`` would miss its recording, screenshot and browser test."""
    shipped = sorted(runbooks.packaged().glob("*.ipynb"))
    building = [path for path in shipped if "preo_nb.widgets" in _code(path)]
    assert building and runbooks.forms() == building
    assert not {path.stem for path in runbooks.forms()} & {
        runbook.name for runbook in runbooks.discover(runbooks.packaged())
    }
