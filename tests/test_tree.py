"""The repository holds sources, not what runs produce; ``notebooks/`` holds the notebooks a user opens first."""

import configparser
import shutil
import subprocess
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[1]
GENERATED = (".parquet", ".xlsx", ".sqlite", ".html")
SAMPLES = {"preo_nb/notebooks/data/partner-orders.csv"}  # the sample import the runbook ships with


def git(*args):
    if shutil.which("git") is None or not (ROOT / ".git").exists():
        pytest.skip("not a git checkout")
    return subprocess.run(["git", "-C", str(ROOT), *args], capture_output=True, text=True, timeout=30)


def test_no_generated_file_is_committed():
    tracked = git("ls-files").stdout.splitlines()
    generated = [p for p in tracked if p.endswith(GENERATED) or (p.endswith(".csv") and p not in SAMPLES)]
    assert generated == []
    assert [p for p in tracked if p.startswith("notebooks/") and not p.endswith(".ipynb")] == []


@pytest.mark.parametrize(
    "written",
    [
        "runs/orders_report.html",
        "runs/orders_report.failed.ipynb",
        "runs/.orders_report.running.ipynb",
        "preo-demo/index.html",
        "preo-rehearsal/exports/cancelled-event-refunds.sqlite",
        "exports/edt_6030d0a35dde/orders.parquet",
        "notebooks/exports/edt_6030d0a35dde/orders.csv",
        "preo_nb/notebooks/exports/cancelled-event-refunds-candidates.xlsx",
    ],
)
def test_what_runs_write_is_ignored(written):
    assert git("check-ignore", "-q", "--no-index", written).returncode == 0, f"{written} is not ignored"


def test_notebooks_holds_the_tours_and_the_suite_runs_them():
    tours = {path.stem: path for path in (ROOT / "notebooks").glob("*.ipynb")}
    assert set(tours) == {"client_tour", "forms_tour"}
    forms = "".join(cell.source for cell in nbformat.read(tours["forms_tour"], as_version=4).cells)
    assert all(f"{form}(preo" in forms for form in ("RefundForm", "RefundQueue", "EmailPreview", "SegmentBuilder"))
    assert all((ROOT / "cassettes" / "notebooks" / f"{stem}.yaml").is_file() for stem in tours)  # nbval replays them
    config = configparser.ConfigParser()
    config.read(ROOT / "setup.cfg")
    assert "notebooks" in config["tool:pytest"]["testpaths"].split()


def test_no_two_collected_tests_share_a_node_id(request):
    """pytest-xdist runs tests by node id: two items with one id would run once and pass twice."""
    ids = [item.nodeid for item in request.session.items]
    assert sorted({i for i in ids if ids.count(i) > 1}) == []


def test_the_longest_first_files_exist() -> None:
    """The root conftest orders these files first for the workers; a renamed one would silently go last."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("root_conftest", ROOT / "conftest.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    missing = [name for name in module.LONGEST_FIRST if not (ROOT / name).is_file()]
    assert not missing, f"conftest.LONGEST_FIRST names files that are not there: {missing}"
