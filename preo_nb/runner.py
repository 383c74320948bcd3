"""Run runbook notebooks headless with papermill, and export them to HTML.

Secrets never travel as papermill parameters (they would be written into the
executed notebook): the kernel inherits ``PREO_API_TOKEN`` and ``PREO_BASE_URL``
from the environment instead.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from preo_nb.errors import RunbookFailed as RunbookFailed  # re-exported: callers catch runner.RunbookFailed

KERNEL = "python3"


@contextlib.contextmanager
def environment(values: Mapping[str, str | None]) -> Iterator[None]:
    """Set (or with ``None`` remove) environment variables for the kernels started inside."""
    saved = {name: os.environ.get(name) for name in values}
    try:
        for name, value in values.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def run_notebook(
    source: Path,
    output: Path,
    parameters: Mapping[str, Any] | None = None,
    *,
    timeout: int = 600,
    kernel: str = KERNEL,
    cwd: Path | None = None,
) -> Path:
    """Execute ``source`` into ``output`` with papermill.

    Args:
        timeout: Seconds allowed per cell.
        cwd: The kernel's working folder, where relative paths in the notebook land; by
            default the folder of ``output``, never the runbook's own (it may be inside
            an installed package).

    Raises:
        RunbookFailed: A cell raised; names the cell and the error.
    """
    import papermill
    from papermill.exceptions import PapermillExecutionError

    output.parent.mkdir(parents=True, exist_ok=True)
    folder = cwd if cwd is not None else output.parent
    folder.mkdir(parents=True, exist_ok=True)
    try:
        papermill.execute_notebook(
            str(source),
            str(output),
            parameters=dict(parameters or {}),
            kernel_name=kernel,
            progress_bar=False,
            execution_timeout=timeout,
            cwd=str(folder),
        )
    except PapermillExecutionError as exc:
        error = f"{exc.ename}: {exc.evalue}"
        raise RunbookFailed(output, exc.cell_index, exc.exec_count, exc.source, error) from None
    return output


def export_html(notebook: Path, *, no_input: bool = False) -> Path:
    """Write ``notebook`` as a standalone HTML page next to it and return its path.

    Args:
        no_input: Leave out the code and the In/Out prompts: a report for people who
            read the results, not the code.
    """
    from nbconvert import HTMLExporter

    exporter = HTMLExporter(  # type: ignore[no-untyped-call]
        exclude_input=no_input, exclude_input_prompt=no_input, exclude_output_prompt=no_input
    )
    html, _ = exporter.from_filename(str(notebook))
    target = notebook.with_suffix(".html")
    target.write_text(html, encoding="utf-8")
    return target
