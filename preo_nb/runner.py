"""Run runbook notebooks headless with papermill, and export them to HTML.

Secrets never travel as papermill parameters (they would be written into the
executed notebook): the kernel inherits ``PREO_API_TOKEN`` and ``PREO_BASE_URL``
from the environment instead.

A run writes its notebook aside and moves it into place only when every cell ran, so a
failed run never overwrites the last good report: it leaves ``NAME.failed.ipynb`` instead.
The kernel talks over IPC sockets (no "running over TCP without encryption" warning) and
its log goes to a file that is read back, so a kernel that logged an error is reported,
not hidden behind a clean-looking run.
"""

from __future__ import annotations

import contextlib
import os
import re
import tempfile
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from preo_nb.errors import RunbookFailed as RunbookFailed  # re-exported: callers catch runner.RunbookFailed

KERNEL = "python3"
NOTEBOOK_ONLY = "notebook-only"
"""Cells with this tag (how to run the runbook) are left out of reports without code."""
_ANSI = re.compile(r"\x1b\[[0-9;]*m")
_CELL_LINE = re.compile(r"Cell In\[\d+\], line (\d+)")
_LOGGED_ERROR = re.compile(r"^\[\w+\] (ERROR|CRITICAL) \| (.*)$", re.MULTILINE)
_SHUTDOWN_INTERRUPT = "KeyboardInterrupt caught in kernel"
"""What ipykernel logs when jupyter_client's shutdown interrupts it (every shutdown sends SIGINT
first) while it still handles a message: after the last cell, not an error of the runbook. A cell
stopped by a timeout fails the run through papermill instead."""


@dataclass(frozen=True)
class Executed:
    """A finished run: the executed notebook, and the errors its kernel logged (empty when clean)."""

    notebook: Path
    kernel_errors: list[str] = field(default_factory=list)


def failed_path(output: Path) -> Path:
    """Where a failed run of ``output`` is written: ``NAME.failed.ipynb`` beside it."""
    return output.with_name(f"{output.stem}.failed{output.suffix}")


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
) -> Executed:
    """Execute ``source`` into ``output`` with papermill; ``output`` changes only when every cell ran.

    Args:
        timeout: Seconds allowed per cell.
        cwd: The kernel's working folder, where relative paths in the notebook land; by
            default the folder of ``output``, never the runbook's own (it may be inside
            an installed package).

    Raises:
        RunbookFailed: A cell raised; names the cell, its failing line and the error. The
            failed run is in :func:`failed_path`, and ``output`` is left as it was.
    """
    from papermill.exceptions import PapermillExecutionError

    output.parent.mkdir(parents=True, exist_ok=True)
    folder = cwd if cwd is not None else output.parent
    folder.mkdir(parents=True, exist_ok=True)
    aside = output.with_name(f".{output.stem}.running{output.suffix}")
    try:
        errors = _execute(source, aside, dict(parameters or {}), kernel=kernel, timeout=timeout, cwd=folder)
    except PapermillExecutionError as exc:
        failed = failed_path(output)
        os.replace(aside, failed)
        error, line = f"{exc.ename}: {exc.evalue}", _failing_line(exc.traceback)
        raise RunbookFailed(failed, exc.cell_index, exc.exec_count, exc.source, error, line) from None
    except BaseException:
        if aside.exists():  # a kernel that died or timed out: keep what ran, as a failure
            os.replace(aside, failed_path(output))
        raise
    os.replace(aside, output)
    for stale in (failed_path(output), failed_path(output).with_suffix(".html")):
        stale.unlink(missing_ok=True)  # a failure from before would now mislead
    return Executed(output, errors)


def _execute(
    source: Path, target: Path, parameters: dict[str, Any], *, kernel: str, timeout: int, cwd: Path
) -> list[str]:
    """Run papermill with the kernel's log in a temporary file; the errors the kernel logged."""
    import papermill

    from preo_nb.reports import REPORT_DIR_ENV

    with (
        tempfile.TemporaryFile(mode="w+", encoding="utf-8") as log,
        tempfile.TemporaryDirectory(prefix="preo-nb-kernel-") as sockets,
        environment({REPORT_DIR_ENV: str(target.parent)}),
    ):
        papermill.execute_notebook(
            str(source),
            str(target),
            parameters=parameters,
            kernel_name=kernel,
            progress_bar=False,
            execution_timeout=timeout,
            cwd=str(cwd),
            kernel_manager_class=_kernel_manager_class(log, Path(sockets) / "kernel"),
        )
        log.seek(0)
        logged = [message.strip() for _, message in _LOGGED_ERROR.findall(log.read())]
    return [message for message in logged if not message.startswith(_SHUTDOWN_INTERRUPT)]


def _kernel_manager_class(log: Any, sockets: Path) -> type:
    """A kernel manager on IPC sockets named ``sockets-N`` (a private folder, not the working one),
    whose kernel writes its log (stderr) to ``log``."""
    from jupyter_client.manager import AsyncKernelManager

    class LoggedKernelManager(AsyncKernelManager):
        def __init__(self, **kwargs: Any) -> None:
            super().__init__(transport="ipc", ip=str(sockets), **kwargs)

        def start_kernel(self, *args: Any, **kwargs: Any) -> Any:  # the awaitable of the async manager
            return super().start_kernel(*args, stderr=log, **kwargs)

    return LoggedKernelManager


def _failing_line(traceback: list[str]) -> int | None:
    """The line of the cell that raised, from IPython's ``Cell In[N], line L`` (the cell's own frame)."""
    found = _CELL_LINE.search(_ANSI.sub("", "\n".join(traceback)))
    return int(found.group(1)) if found else None


def export_html(notebook: Path, *, no_input: bool = False, target: Path | None = None) -> Path:
    """Write ``notebook`` as a standalone HTML page (by default next to it) and return its path.

    The page is written aside and moved into place, so a reader never opens half of one.

    Args:
        no_input: A report for people who read the results, not the code: no code, no
            In/Out prompts, and no cell tagged ``notebook-only`` (how to run it).
    """
    from nbconvert import HTMLExporter
    from nbconvert.preprocessors import TagRemovePreprocessor
    from traitlets.config import Config

    config = Config()
    config.TagRemovePreprocessor.remove_cell_tags = {NOTEBOOK_ONLY} if no_input else set()
    exporter = HTMLExporter(  # type: ignore[no-untyped-call]
        config=config, exclude_input=no_input, exclude_input_prompt=no_input, exclude_output_prompt=no_input
    )
    exporter.register_preprocessor(TagRemovePreprocessor(config=config), enabled=True)  # type: ignore[no-untyped-call]
    html, _ = exporter.from_filename(str(notebook))
    target = target if target is not None else notebook.with_suffix(".html")
    aside = target.with_name(f".{target.name}.writing")
    aside.write_text(html, encoding="utf-8")
    os.replace(aside, target)
    return target
