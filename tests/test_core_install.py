"""The core install: the client and its DataFrames, without the notebook, CEL or sandbox stacks.

``pip install -e .`` brings requests, pandas and a few small packages; the forms
(ipywidgets, which pulls IPython) and the local CEL checks (common-expression-language,
which pulls pydantic, typer and rich) come with the ``widgets`` extra. Checked twice:
on the requirements (what pip would install), and by using the client in a fresh
interpreter where those packages cannot be imported.
"""

from __future__ import annotations

import configparser
import json
import re
import subprocess
import sys
import textwrap
from importlib import metadata
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parents[1]
NOT_IN_THE_CORE = ("ipywidgets", "ipython", "common-expression-language", "pydantic", "typer", "rich")
BLOCKED = ("IPython", "ipywidgets", "ipykernel", "cel", "pydantic", "typer", "rich", "flask", "faker", "pyarrow")


def requirements(extra: str | None = None) -> list[Requirement]:
    """The requirements setup.cfg declares for the core (``extra=None``) or one extra."""
    config = configparser.ConfigParser()
    config.read(ROOT / "setup.cfg")
    text = config["options"]["install_requires"] if extra is None else config["options.extras_require"][extra]
    return [Requirement(line) for line in text.split("\n") if line.strip()]


def closure(start: list[Requirement]) -> set[str]:
    """Every distribution those requirements pull in (extras followed), from the installed packages' metadata.

    ``preo_nb[x]`` in an extra stands for that extra's requirements; ``preo_nb`` itself is not counted.
    """
    seen: set[tuple[str, str]] = set()
    todo = [(r, "") for r in start]
    while todo:
        wanted, extra = todo.pop()
        if wanted.marker is not None and not wanted.marker.evaluate({"extra": extra}):
            continue
        name = canonicalize_name(wanted.name)
        for chosen in ("", *sorted(wanted.extras)):
            if (name, chosen) in seen:
                continue
            seen.add((name, chosen))
            needs = (
                requirements(chosen or None) if name == "preo-nb" else map(Requirement, metadata.requires(name) or [])
            )
            todo += [(r, chosen) for r in needs]
    return {name for name, _ in seen} - {"preo-nb"}


def test_the_core_requirements_pull_in_none_of_the_notebook_stack() -> None:
    core = closure(requirements())
    assert {"pandas", "requests", "numpy"} <= core  # the walk reaches what the core really needs
    assert sorted(core & set(NOT_IN_THE_CORE)) == []


def test_the_widgets_extra_brings_the_forms_and_the_local_cel_checks() -> None:
    widgets = closure(requirements("widgets"))
    assert {"ipywidgets", "ipython", "common-expression-language"} <= widgets
    assert "preo_nb[widgets]" in {str(r) for r in requirements("notebooks")}  # runbooks show forms too


CORE_USER = """
import importlib.abc, json, os, sys, warnings

class Blocker(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in {blocked!r}:
            raise ModuleNotFoundError(f"No module named {{name!r}} (blocked: not in the core install)")
        return None

sys.meta_path.insert(0, Blocker())
warnings.simplefilter("error")  # no tqdm "IProgress not found" warning either
import preo_nb

preo = preo_nb.connect(base_url={url!r}, token=os.environ["PREO_API_TOKEN"], env_file=False)
orders = preo.orders.list(edition_id={edition!r})  # PREO_NB_PROGRESS=widget: falls back to text
said = {{}}
for name, use in [("widgets", lambda: __import__("preo_nb.widgets")), ("cel", lambda: __import__("preo_nb.cel")),
                  ("parquet", lambda: preo_nb.to_parquet("x.parquet", orders.head(1)))]:
    try:
        use()
    except preo_nb.errors.MissingExtra as exc:
        said[name] = [exc.extra, str(exc), isinstance(exc, ImportError)]
print(json.dumps({{"rows": len(orders), "status": str(orders["status"].dtype), "said": said}}))
"""


def test_the_client_reads_a_list_without_the_notebook_stack(sandbox, tmp_path) -> None:
    edition = sandbox.store.busiest_edition()["id"]
    script = textwrap.dedent(CORE_USER).format(blocked=BLOCKED, url=sandbox.url, edition=edition)
    env = {"PREO_API_TOKEN": sandbox.token, "PREO_NB_PROGRESS": "widget", "PATH": "/usr/bin:/bin"}
    env["HOME"] = str(tmp_path)
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, env=env, cwd=tmp_path, timeout=120
    )
    assert done.returncode == 0, done.stderr[-3000:]
    seen = json.loads(done.stdout)
    assert seen["rows"] > 100 and seen["status"] == "category"
    assert {name: extra for name, (extra, _, _) in seen["said"].items()} == {
        "widgets": "widgets",
        "cel": "widgets",
        "parquet": "parquet",
    }
    for _, message, is_import_error in seen["said"].values():
        assert is_import_error and "from a checkout of preo_nb: pip install -e '.[" in message


def install_table() -> dict[str, str]:
    """The README's table of installs: ``"."``, ``".[widgets]"``... -> the rest of the row."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    rows = re.findall(r"^\| `(?:pip install -e )?(\.(?:\[[a-z,]+\])?)` \|(.*)\|$", readme, flags=re.MULTILINE)
    return dict(rows)


def test_the_readme_lists_every_extra_and_what_it_brings() -> None:
    table = install_table()
    config = configparser.ConfigParser()
    config.read(ROOT / "setup.cfg")
    extras = list(config["options.extras_require"])
    assert {f".[{extra}]" for extra in extras} <= set(table) and "." in table
    for install, extra in [(".", None), *((f".[{e}]", e) for e in extras)]:
        said = table[install].lower()
        needs = requirements(extra)
        named = [canonicalize_name(r.name) for r in needs if r.name != "preo_nb"]
        named += [f"`{e}`" for r in needs if r.name == "preo_nb" for e in r.extras]  # preo_nb[widgets]: `widgets`
        assert [name for name in named if name not in said] == [], install


def test_the_readme_package_counts_are_what_pip_installs() -> None:
    """Counted from the installed packages' metadata: preo_nb and what it pulls in (the README's count)."""
    counted = {install: row for install, row in install_table().items() if re.search(r"\| \d+ \|", row)}
    assert {".", ".[widgets]", ".[dev]"} <= set(counted)
    for install, row in counted.items():
        claimed = int(re.search(r"\| (\d+) \|", row).group(1))
        try:
            found = closure([Requirement("preo_nb" + install[1:])])
        except metadata.PackageNotFoundError as missing:
            pytest.skip(f"{install} is not installed here ({missing}), so its packages cannot be counted")
        assert (install, claimed) == (install, len(found) + 1)
