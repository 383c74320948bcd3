"""Re-record notebooks' cassettes, then store their outputs from a replay.

Usage: ``python scripts/record_form_notebooks.py [stem ...]`` (default: the form notebooks,
``runbooks.forms()``, and the tours in ``notebooks/``; name runbooks, e.g. ``orders_report``, after
changing what they request or show in a cell tagged ``nbval-check-output``).

For each notebook: run it under papermill against a fresh seed-1 sandbox with
its kernel recording into ``cassettes/notebooks/<stem>.yaml`` (exactly what
the root conftest does on ``pytest --record-mode=rewrite``), then execute it in
place from that cassette, offline, so the stored outputs are the ones nbval
replays.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

from preo_nb import runbooks, runner, testing
from preo_nb.sandbox import running

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = ROOT / "preo_nb" / "notebooks"
TOURS = ROOT / "notebooks"
CASSETTES = ROOT / "cassettes" / "notebooks"
CLEAN = {"PREO_BASE_URL": None, "PREO_API_TOKEN": None, testing.RECORD_ENV: None, "PREO_NB_PROGRESS": "off"}


def record(notebook: Path, cassette: Path) -> None:
    """Run ``notebook`` under papermill against a fresh sandbox, recording its HTTP into ``cassette``."""
    cassette.parent.mkdir(parents=True, exist_ok=True)
    cassette.unlink(missing_ok=True)
    with running(seed=1, scale="small", check_contract=True) as sb:
        env = {
            **CLEAN,
            "PREO_BASE_URL": sb.url,
            "PREO_API_TOKEN": sb.token,
            testing.CASSETTE_ENV: str(cassette),
            testing.RECORD_ENV: "1",
        }
        with runner.environment(env), tempfile.TemporaryDirectory() as out:
            runner.run_notebook(notebook, Path(out) / notebook.name, timeout=120)
        if sb.violations:
            raise SystemExit("sandbox responses broke the contract:\n" + "\n".join(sb.violations))


def store_outputs(notebook: Path, cassette: Path) -> None:
    """Execute ``notebook`` in place, answered from ``cassette`` only."""
    command = [
        sys.executable,
        "-m",
        "jupyter",
        "nbconvert",
        "--to",
        "notebook",
        "--execute",
        "--inplace",
        "--ExecutePreprocessor.timeout=120",
        "--ExecutePreprocessor.store_widget_state=False",
        str(notebook),
    ]
    with runner.environment({**CLEAN, testing.CASSETTE_ENV: str(cassette)}):
        subprocess.run(command, check=True, cwd=notebook.parent, timeout=600)  # noqa: S603 - our own argv


def main(stems: list[str]) -> None:
    """Record and replay each notebook named by ``stems``."""
    defaults = [form.stem for form in runbooks.forms(NOTEBOOKS)] + sorted(p.stem for p in TOURS.glob("*.ipynb"))
    for stem in stems or defaults:
        notebook, cassette = (
            next(p for p in (NOTEBOOKS / f"{stem}.ipynb", TOURS / f"{stem}.ipynb") if p.exists()),
            CASSETTES / f"{stem}.yaml",
        )
        record(notebook, cassette)
        store_outputs(notebook, cassette)
        print(f"{notebook.relative_to(ROOT)}: recorded {cassette.relative_to(ROOT)}, outputs stored")


if __name__ == "__main__":
    main(sys.argv[1:])
