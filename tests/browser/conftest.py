"""JupyterLab and headless Chromium for the browser tests, started once per module."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from preo_nb import runbooks

from . import lab as jupyterlab_tools

NOTEBOOKS = Path(__file__).resolve().parents[2] / "preo_nb" / "notebooks"


@pytest.fixture(scope="module")
def jupyterlab(sandbox: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[jupyterlab_tools.Lab]:
    """JupyterLab on loopback serving copies of the form notebooks; its kernels reach the sandbox."""
    why = jupyterlab_tools.missing()
    if why:
        pytest.skip(why)
    env = {"PREO_BASE_URL": sandbox.url, "PREO_API_TOKEN": sandbox.token}
    lab = jupyterlab_tools.start(tmp_path_factory.mktemp("jupyterlab"), runbooks.forms(NOTEBOOKS), env)
    try:
        yield lab
    finally:
        jupyterlab_tools.stop(lab)


@pytest.fixture(scope="module")
def browser(jupyterlab: jupyterlab_tools.Lab) -> Iterator[Any]:
    """A headless Chromium context (Playwright driving /usr/bin/chromium)."""
    with jupyterlab_tools.chromium(jupyterlab.root.parent / "chromium-home") as context:
        yield context
