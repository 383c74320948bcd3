"""The runbook library: finding runbooks and checking their parameters (the demo's parts: ``preo_nb.demo``).

A runbook is a notebook shipped in ``preo_nb/notebooks/`` (or in a folder given with
``--notebooks``) whose metadata says ``{"preo_nb": {"runbook": true, "title": ...,
"summary": ..., "paths": {"csv_path": "input", "journal": "output", ...}}}`` and whose
first code cell is tagged ``parameters`` (papermill's convention). The cell right after
the parameters checks them with :func:`flag`, so a bad value stops the run before anything
is sent, however the notebook is run (``preo-nb run``, papermill, Jupyter).
"""

from __future__ import annotations

import ast
import json
import os
from collections.abc import Mapping
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from preo_nb.errors import PreoValidationError, RunbookNotFound


@dataclass(frozen=True)
class Runbook:
    """One runbook notebook.

    Attributes:
        inputs: Parameters naming files the runbook reads (resolved against the current folder).
        outputs: Parameters naming files or folders it writes (journals, exports).
    """

    name: str
    path: Path
    title: str
    summary: str
    inputs: tuple[str, ...] = ()
    outputs: tuple[str, ...] = ()


def packaged() -> Path:
    """The folder of the runbooks shipped inside preo_nb (with their sample data in ``data/``)."""
    return Path(str(resources.files("preo_nb").joinpath("notebooks")))


def sample(name: str) -> Path:
    """A sample file shipped with the runbooks, e.g. ``sample("partner-orders.csv")``."""
    return packaged() / "data" / name


def folder(given: Path | None = None) -> Path:
    """The runbooks' folder: the given one, else the one shipped inside preo_nb."""
    where = given if given is not None else packaged()
    if where.is_dir() and any(where.glob("*.ipynb")):
        return where
    raise RunbookNotFound(f"no runbooks in {where}; pass --notebooks DIR")


def _meta(path: Path) -> dict[str, Any]:
    found: dict[str, Any] = json.loads(path.read_text(encoding="utf-8")).get("metadata", {}).get("preo_nb", {})
    return found


def load(path: Path) -> Runbook:
    """Read one notebook's runbook metadata (a plain notebook gets its file name as title)."""
    meta = _meta(path)
    paths = meta.get("paths", {})
    return Runbook(
        path.stem,
        path,
        meta.get("title", path.stem),
        meta.get("summary", ""),
        tuple(n for n, kind in paths.items() if kind == "input"),
        tuple(n for n, kind in paths.items() if kind == "output"),
    )


def discover(where: Path) -> list[Runbook]:
    """Every runbook in ``where``, by name."""
    return [load(path) for path in sorted(where.glob("*.ipynb")) if _meta(path).get("runbook")]


def forms(where: Path | None = None) -> list[Path]:
    """The notebooks that show the forms (metadata ``{"preo_nb": {"form": true}}``), by name.

    The one list of them: recording their cassettes and outputs
    (``scripts/record_form_notebooks.py``), the screenshots and the browser tests read it.
    """
    return [path for path in sorted((where or packaged()).glob("*.ipynb")) if _meta(path).get("form")]


def find(name_or_path: str, where: Path | None = None) -> Runbook:
    """Resolve a runbook name (``orders_report``) or a notebook path."""
    path = Path(name_or_path)
    if path.suffix == ".ipynb" and path.is_file():
        return load(path)
    for runbook in discover(folder(where)):
        if runbook.name == name_or_path.removesuffix(".ipynb"):
            return runbook
    raise RunbookNotFound(f"no runbook called {name_or_path!r}; `preo-nb runbooks` lists them")


def flag(name: str, value: object) -> bool:
    """Return a yes/no parameter's value when it is exactly True or False; refuse anything else.

    Runbooks call it right after their parameters cell (``dry_run = runbooks.flag("dry_run",
    dry_run)``): ``-p dry_run ""`` (an unset shell variable), ``0``, ``"false"`` or ``null``
    would otherwise read as "not a dry run" in ``if dry_run:`` and move money.

    Raises:
        PreoValidationError: ``value`` is not a bool; the runbook stops before it sends anything.
    """
    if isinstance(value, bool):
        return value
    raise PreoValidationError(
        name,
        f"must be True or False, not {value!r} ({type(value).__name__}); the runbook stopped before "
        f"doing anything. Pass -p {name} True or -p {name} False",
    )


def parameters(path: Path) -> dict[str, dict[str, Any]]:
    """The parameters of a notebook: name -> {type, default, help} (papermill's inspection).

    ``type`` is the annotation papermill found, else the type of a literal default
    (``dry_run = True`` is a ``bool``).
    """
    import papermill

    found: dict[str, dict[str, Any]] = papermill.inspect_notebook(str(path))
    return {
        name: {"type": _type_name(spec), "default": spec.get("default", ""), "help": spec.get("help", "")}
        for name, spec in found.items()
    }


def _type_name(spec: Mapping[str, Any]) -> str:
    declared = str(spec.get("inferred_type_name", ""))
    if declared not in ("", "None"):
        return declared
    value = default_value(spec)
    return "" if value is None else type(value).__name__


def default_value(spec: Mapping[str, Any]) -> Any:
    """The default of a parameter as a Python value, or None when it is not a literal."""
    try:
        return ast.literal_eval(str(spec.get("default", "")))
    except (ValueError, SyntaxError):
        return None


def required_names(known: Mapping[str, Mapping[str, Any]]) -> list[str]:
    """The parameters that name real objects and have no default: their comment starts with "required"."""
    return [name for name, spec in known.items() if str(spec.get("help", "")).lower().startswith("required")]


def check(book: Runbook, given: Mapping[str, Any], *, sandbox: bool = False) -> dict[str, dict[str, Any]]:
    """Refuse unknown, missing required and non-boolean yes/no parameters, before any kernel starts.

    Args:
        sandbox: A rehearsal, whose required parameters the sandbox fills in (:func:`demo_parameters`).

    Returns:
        The runbook's parameters, as :func:`parameters` gives them.

    Raises:
        PreoValidationError: Names the parameter and what is wrong with it.
    """
    known = parameters(book.path)
    unknown = sorted(set(given) - set(known))
    if unknown:
        raise PreoValidationError(
            unknown[0], f"{book.name} has no parameter {', '.join(unknown)}; `preo-nb runbooks` lists them"
        )
    missing = [name for name in required_names(known) if given.get(name) in (None, "")]
    if missing and not sandbox:
        raise PreoValidationError(missing[0], _required_message(missing[0], book.name))
    for name, value in given.items():
        if known[name]["type"] == "bool":
            flag(name, value)
    return known


def _required_message(name: str, runbook: str = "NAME") -> str:
    return (
        f"is required: pass -p {name} with the id of a real object (preo-nb run {runbook} -p {name} ...), "
        f"or set it in the parameters cell; `preo-nb run {runbook} --sandbox` rehearses with the sandbox's own"
    )


def required(name: str, value: Any, *, example: str) -> Any:
    """Return a required parameter's value; refuse a missing one, naming ``-p NAME``.

    Runbooks call it right after their parameters cell, so running one against the real
    API without, say, ``-p edition_id`` stops there instead of asking for a sandbox's id.
    ``example`` (the object the runbook's cassette was recorded with) is used only while a
    cassette replays or records (``PREO_NB_CASSETTE``), never against a live API.

    Raises:
        PreoValidationError: ``value`` is missing and no cassette is in use.
    """
    from preo_nb import testing

    if value not in (None, ""):
        return value
    if os.environ.get(testing.CASSETTE_ENV):
        return example
    raise PreoValidationError(name, _required_message(name))


def resolve_paths(
    book: Runbook,
    given: Mapping[str, Any],
    known: Mapping[str, Mapping[str, Any]],
    *,
    here: Path,
    outputs: Path,
    confined: bool = False,
) -> dict[str, Any]:
    """The parameters to run with: input paths made absolute against ``here``, output paths against ``outputs``.

    Every output parameter (journal, export folder) is passed, given or default, so the
    executed notebook records where it wrote and a rehearsal's outputs cannot land where a
    real run's do.

    Args:
        confined: Refuse output paths outside ``outputs`` (a rehearsal's folder).

    Raises:
        PreoValidationError: ``confined`` and an output path leaves ``outputs``.
    """
    resolved = dict(given)
    for name in book.inputs:
        if isinstance(given.get(name), str) and given[name]:
            resolved[name] = str((here / given[name]).resolve())
    for name in book.outputs:
        value = given[name] if name in given else default_value(known.get(name, {}))
        if not isinstance(value, str) or not value:
            continue
        target = (outputs / value).resolve()
        if confined and not target.is_relative_to(outputs.resolve()):
            raise PreoValidationError(
                name, f"a rehearsal writes only under {outputs}, and {value!r} is outside it; give a relative path"
            )
        resolved[name] = str(target)
    return resolved
