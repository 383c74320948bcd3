"""Where the test suite's CPU goes: CPU seconds per test file and per test, kernels and subprocesses included.

The README's test command is CPU-bound on 2 cores (its wall time is about its CPU time / 2), so
this, not ``--durations``, says what to make cheaper: a test's wall time also counts the waits it
shares with the other workers.

    PYTHONPATH=scripts pytest -p cpu_per_test     # then:
    python scripts/cpu_per_test.py                # the table (the 15 heaviest files and tests)

Each worker adds up, per test, its own CPU and that of the processes it waited for (kernels,
``preo-nb`` subprocesses), and writes them to ``$TMPDIR/preo-nb-test-cpu/`` at its end.
"""

from __future__ import annotations

import argparse
import collections
import json
import os
import resource
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

FOLDER = Path(tempfile.gettempdir()) / "preo-nb-test-cpu"
_spent: dict[str, float] = collections.defaultdict(float)


def _cpu() -> float:
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_protocol(item: pytest.Item, nextitem: pytest.Item | None) -> Iterator[None]:
    """Add up one test's CPU: setup, call and teardown."""
    before = _cpu()
    yield
    _spent[item.nodeid] += _cpu() - before


def pytest_sessionstart(session: pytest.Session) -> None:
    if "PYTEST_XDIST_WORKER" not in os.environ:  # the controller (or a run without workers) starts afresh
        FOLDER.mkdir(exist_ok=True)
        for old in FOLDER.glob("*.json"):
            old.unlink()


def pytest_sessionfinish(session: pytest.Session) -> None:
    if _spent:
        FOLDER.mkdir(exist_ok=True)
        (FOLDER / f"{os.environ.get('PYTEST_XDIST_WORKER', 'main')}.json").write_text(json.dumps(_spent))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--top", type=int, default=15, help="rows per table (default 15)")
    top = parser.parse_args().top
    spent: dict[str, float] = {}
    for path in FOLDER.glob("*.json"):
        spent.update(json.loads(path.read_text()))
    if not spent:
        raise SystemExit(f"nothing measured in {FOLDER}: run PYTHONPATH=scripts pytest -p cpu_per_test first")
    files: dict[str, float] = collections.defaultdict(float)
    for test, seconds in spent.items():
        files[test.split("::")[0]] += seconds
    print(f"{len(spent)} tests, {sum(spent.values()):.1f} CPU s in tests (worker start-up and collection not counted)")
    print("\n| CPU s | file |\n|---:|---|")
    for name, seconds in sorted(files.items(), key=lambda item: -item[1])[:top]:
        print(f"| {seconds:.1f} | {name} |")
    print("\n| CPU s | test |\n|---:|---|")
    for name, seconds in sorted(spent.items(), key=lambda item: -item[1])[:top]:
        print(f"| {seconds:.1f} | {name} |")


if __name__ == "__main__":
    main()
