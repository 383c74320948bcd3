"""Session-wide hooks for the tests and the nbval notebook runs.

They live at the root so they also apply to ``notebooks/``, and run before
nbval starts any kernel, so the kernels inherit the environment set here.
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

import pytest

from preo_nb import testing

ROOT = Path(__file__).resolve().parent
CASSETTES = ROOT / "cassettes"
NOTEBOOKS = ROOT / "preo_nb" / "notebooks"
TOURS = ROOT / "notebooks"  # the notebooks a user opens first


def pytest_configure(config: pytest.Config) -> None:
    """Keep tests away from the developer's credentials and home folder.

    Runs before nbval starts any kernel, so the kernels inherit this environment.
    """
    for name in ("PREO_API_TOKEN", "PREO_BASE_URL", "PREO_TIMEOUT", testing.CASSETTE_ENV, testing.RECORD_ENV):
        os.environ.pop(name, None)
    scratch = Path(tempfile.mkdtemp(prefix="preo-nb-tests-"))
    for name in ("IPYTHONDIR", "MPLCONFIGDIR", "JUPYTER_CONFIG_DIR", "JUPYTER_RUNTIME_DIR"):
        os.environ[name] = str(scratch / name.lower())
    os.environ["PREO_NB_PROGRESS"] = "off"
    # Bytecode is written and reused: with PYTHONDONTWRITEBYTECODE set (as on these machines), each of
    # some hundred kernels, subprocesses and workers compiled preo_nb and the tests again, about
    # 50 s of the suite's CPU. __pycache__ is ignored by git.
    sys.dont_write_bytecode = False
    os.environ.pop("PYTHONDONTWRITEBYTECODE", None)


def pytest_sessionstart(session: pytest.Session) -> None:
    """With ``--record-mode=rewrite`` (or ``all``), re-record the notebooks' cassettes first.

    Only the notebooks the run covers: all of ``preo_nb/notebooks/`` and ``notebooks/`` for a
    plain ``pytest --record-mode=rewrite``, else the folders or ``.ipynb`` files named.

    Each runbook runs under papermill, with its default parameters, against a
    fresh seed-1 sandbox, its kernel recording into ``cassettes/notebooks/``;
    nbval then replays those cassettes later in the same run.
    """
    if session.config.getoption("--record-mode", None) not in ("rewrite", "all"):
        return
    asked = [Path(arg.split("::")[0]).resolve() for arg in session.config.args]
    chosen = [  # whole folders asked for (all of them by default), then the notebooks named
        *(
            path
            for folder in (NOTEBOOKS, TOURS)
            if not asked or {folder, ROOT} & set(asked)
            for path in sorted(folder.glob("*.ipynb"))
        ),
        *(path for path in asked if path.suffix == ".ipynb" and path.parent in (NOTEBOOKS, TOURS)),
    ]
    from preo_nb import runner
    from preo_nb.sandbox import running

    for notebook in chosen:
        cassette = CASSETTES / "notebooks" / f"{notebook.stem}.yaml"
        cassette.parent.mkdir(parents=True, exist_ok=True)
        cassette.unlink(missing_ok=True)
        with running(seed=1, scale="small", check_contract=True) as sb:
            env = {
                "PREO_BASE_URL": sb.url,
                "PREO_API_TOKEN": sb.token,
                testing.CASSETTE_ENV: str(cassette),
                testing.RECORD_ENV: "1",
            }
            with runner.environment(env), tempfile.TemporaryDirectory() as out:
                runner.run_notebook(notebook, Path(out) / notebook.name, timeout=120)
            assert not sb.violations, "\n".join(sb.violations)


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item: pytest.Item) -> None:
    """Point each notebook's kernel at its own cassette before nbval starts the kernel."""
    if item.__class__.__name__ == "IPyNbCell":
        stem = Path(str(item.fspath)).stem
        os.environ[testing.CASSETTE_ENV] = str(CASSETTES / "notebooks" / f"{stem}.yaml")


def pytest_runtest_teardown(item: pytest.Item) -> None:
    """Keep the cassette switch away from whatever runs after a notebook."""
    if item.__class__.__name__ == "IPyNbCell":
        os.environ.pop(testing.CASSETTE_ENV, None)


#: The files that take longest, most CPU first (about 60 to 10 s of CPU each on 2 cores): schemathesis'
#: generation, kernels, subprocesses. Under ``--dist=loadfile`` a worker takes whole files in
#: collection order: these go first and the many short files fill in at the end, instead of one
#: worker starting a minute of work last.
LONGEST_FIRST = (
    "tests/acceptance/test_fuzz.py",
    "tests/acceptance/test_runbooks.py",
    "tests/acceptance/test_check_contract.py",
    "tests/test_cli.py",
    "tests/browser/test_forms_in_jupyterlab.py",
    "tests/acceptance/test_soak.py",
    "tests/acceptance/test_drifted_server.py",
    "tests/acceptance/test_fault_matrix.py",
)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Put the longest files first, and give each operation of a schemathesis test its own node id.

    schemathesis collects one item per operation under the test's one node id; pytest-xdist
    schedules by node id, so it would run one operation of 81 and report the rest as never
    there. ``tests/test_tree.py`` fails when two collected tests share an id.
    """
    rank = {name: place for place, name in enumerate(LONGEST_FIRST)}
    items.sort(key=lambda item: rank.get(item.nodeid.split("::")[0], len(rank)))  # stable: files stay whole
    for item in items:
        label = getattr(item, "operation_label", None)
        if label and not item.nodeid.endswith("]"):
            unique = f"{item.nodeid}[{label}]"
            if "_id" in getattr(type(item), "__slots__", ()) or hasattr(item, "_id"):  # pytest 9
                from _pytest.nodeid import coerce_node_id

                item._id = coerce_node_id(unique)
            else:  # pytest 8
                item._nodeid = unique
