"""The package's layers, checked from its source: who may import what.

* The sandbox's ``core`` and its domains' rules, models, renderers and seeders
  import no web framework (Flask, Werkzeug), neither directly nor through
  another module; only ``sandbox/web/`` and the domains' ``views*`` modules do.
  Checked twice: on the import statements (``ast``), and by importing those
  modules in a fresh interpreter where Flask and Werkzeug cannot be imported.
* No import circle anywhere in ``preo_nb``.
* Every error class of the client lives in ``errors.py`` (the tree drawn in its docstring).

"Imports" are all the import statements of a module: at its top level, inside
``try``/``if`` blocks (``if TYPE_CHECKING:`` included: a circle of type-only
imports is still a circle a reader must untangle) and inside functions. A
deferred import makes a circle work at run time, not go away.
"""

from __future__ import annotations

import ast
import functools
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "preo_nb"
WEB_FRAMEWORKS = ("flask", "werkzeug")
DOMAINS = ("commerce", "files", "marketing", "emails", "webhooks")


def module_name(path: Path) -> str:
    """``preo_nb/sandbox/core/store.py`` -> ``preo_nb.sandbox.core.store`` (packages by their name)."""
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {module_name(path): path for path in sorted(PACKAGE.rglob("*.py"))}


def _statements(tree: ast.Module) -> Iterator[ast.Import | ast.ImportFrom]:
    """Every import statement of a module, at any depth (functions and methods included)."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Import | ast.ImportFrom):
            yield node


@functools.cache
def imported(module: str) -> frozenset[str]:
    """Every module ``module`` imports anywhere in its source, by full name (``a.b`` for ``from a import b``)."""
    tree = ast.parse(MODULES[module].read_text(), str(MODULES[module]))
    package = module if MODULES[module].name == "__init__.py" else module.rpartition(".")[0]
    found: set[str] = set()
    for node in _statements(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
            continue
        base = node.module or ""
        if node.level:
            anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
            base = ".".join([*anchor, base] if base else anchor)
        for alias in node.names:
            candidate = f"{base}.{alias.name}"
            found.add(candidate if candidate in MODULES else base)
    return frozenset(found)


@functools.cache
def internal_graph() -> dict[str, set[str]]:
    """Module -> the modules of ``preo_nb`` it imports."""
    return {module: {name for name in imported(module) if name in MODULES} for module in MODULES}


def without_web_framework() -> list[str]:
    """The sandbox modules that must work without Flask: core, and each domain's non-view modules."""
    chosen = []
    for module in MODULES:
        parts = module.split(".")
        layer = parts[2] if parts[:2] == ["preo_nb", "sandbox"] and len(parts) > 2 else None
        if layer == "core" or (layer in DOMAINS and not parts[-1].startswith("views")):
            chosen.append(module)
    return chosen


def reachable(start: str, graph: dict[str, set[str]]) -> list[str]:
    """``start`` and every module of the package it imports, directly or not."""
    seen, todo = [start], [start]
    while todo:
        for name in sorted(graph[todo.pop()]):
            if name not in seen:
                seen.append(name)
                todo.append(name)
    return seen


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """Return one import circle as ``[a, b, ..., a]``, or None when the graph has none."""
    state: dict[str, str] = {}
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = "open"
        path.append(node)
        for name in sorted(graph[node]):
            if state.get(name) == "open":
                return [*path[path.index(name) :], name]
            if name not in state and (cycle := visit(name)):
                return cycle
        state[node] = "done"
        path.pop()
        return None

    for node in sorted(graph):
        if node not in state and (cycle := visit(node)):
            return cycle
    return None


def test_the_checked_modules_are_the_sandbox_layers() -> None:
    chosen = without_web_framework()
    assert "preo_nb.sandbox.core.store" in chosen
    assert "preo_nb.sandbox.commerce.rules_refunds" in chosen
    assert "preo_nb.sandbox.marketing.seed" in chosen
    assert not [m for m in chosen if m.rpartition(".")[2].startswith("views") or m.split(".")[2] == "web"]
    assert len(chosen) > 30


@pytest.mark.parametrize("module", without_web_framework())
def test_core_and_domain_rules_import_no_web_framework(module: str) -> None:
    culprits = {
        name: sorted(f for f in imported(name) if f.split(".")[0] in WEB_FRAMEWORKS)
        for name in reachable(module, internal_graph())
    }
    assert {name: found for name, found in culprits.items() if found} == {}


def test_those_modules_import_with_flask_and_werkzeug_blocked() -> None:
    blocked = "; ".join(f"sys.modules[{name!r}] = None" for name in WEB_FRAMEWORKS)
    script = (
        f"import importlib, sys; {blocked}\n"
        f"for name in {without_web_framework()!r}:\n"
        "    importlib.import_module(name)\n"
        f"assert not [m for m in sys.modules if m.split('.')[0] in {WEB_FRAMEWORKS!r} and sys.modules[m]]\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr


def test_the_check_sees_a_web_import() -> None:
    assert "flask" in imported("preo_nb.sandbox.web.views")
    assert "werkzeug.serving" in imported("preo_nb.sandbox.web.serving")


def test_no_import_circle_in_the_package() -> None:
    assert find_cycle(internal_graph()) is None


def test_imports_inside_functions_count() -> None:
    """``bulk_command`` imports ``bulk`` inside its function: that arrow is in the graph."""
    assert "preo_nb.bulk" in internal_graph()["preo_nb.bulk_command"]
    assert "preo_nb.sandbox" in imported("preo_nb.pytest_plugin")  # only inside a fixture


def test_the_circle_finder_reports_the_circle() -> None:
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a", "d"}, "d": set()}
    assert find_cycle(graph) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": set()}) is None


def anywhere(module: str) -> set[str]:
    """Every module ``module`` imports, at any depth of its source (functions included)."""
    tree = ast.parse(MODULES[module].read_text(), str(MODULES[module]))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            found.add(node.module)
    return found


def test_only_the_requests_transport_touches_requests() -> None:
    """One narrow seam to the network (httpx's lesson): the requests transport alone imports requests or urllib3."""
    users = {module for module in MODULES if {n.split(".")[0] for n in anywhere(module)} & {"requests", "urllib3"}}
    assert users == {"preo_nb._transports.default"}


def test_the_client_layers_import_one_way() -> None:
    """frames never reaches _http; resources never reach widgets; nothing below widgets imports ipywidgets."""
    graph = internal_graph()
    assert "preo_nb._http" not in reachable("preo_nb.frames", graph)
    below_widgets = [m for m in MODULES if not m.startswith(("preo_nb.widgets", "preo_nb.sandbox"))]
    assert not [m for m in below_widgets if any(n.startswith("preo_nb.widgets") for n in imported(m))]
    assert not [m for m in below_widgets if "ipywidgets" in {n.split(".")[0] for n in imported(m)}]


ERROR_BASES = ("Error", "Exception", "Warning", "Failed", "NotFound", "Outcome", "Mismatch")


def error_classes(module: str) -> list[str]:
    """The classes ``module`` defines that derive from an exception class (judged by the base's name)."""
    tree = ast.parse(MODULES[module].read_text(), str(MODULES[module]))
    errors_tree = ast.parse(MODULES["preo_nb.errors"].read_text())
    known = {node.name for node in ast.walk(errors_tree) if isinstance(node, ast.ClassDef)}

    def base_name(base: ast.expr) -> str:
        return base.attr if isinstance(base, ast.Attribute) else base.id if isinstance(base, ast.Name) else ""

    return [
        node.name
        for node in ast.walk(tree)
        if isinstance(node, ast.ClassDef)
        and any(base_name(b) in known or base_name(b).endswith(ERROR_BASES) for b in node.bases)
    ]


def test_every_error_class_of_the_client_lives_in_errors_py() -> None:
    """One tree to read (httpx's lesson).

    The sandbox, a server of its own, keeps its own errors; a private signal that never leaves
    its module (``_http._NoAnswer``, caught by the retry loop) is not an error users see.
    """
    elsewhere = {
        module: public
        for module in MODULES
        if module != "preo_nb.errors" and not module.startswith("preo_nb.sandbox")
        if (public := [name for name in error_classes(module) if not name.startswith("_")])
    }
    assert elsewhere == {}


def test_the_error_tree_in_the_docstring_names_every_error_class() -> None:
    import preo_nb.errors

    drawn = preo_nb.errors.__doc__ or ""
    classes = error_classes("preo_nb.errors")
    assert len(classes) > 20
    # the root on a line of its own, errors in the tree (``+-- Name``), warnings beside it (````Name````)
    drawn_as = r"^\s*{0}$|\+-- {0}\b|``{0}``"
    assert [name for name in classes if not re.search(drawn_as.format(name), drawn, re.MULTILINE)] == []


def test_the_error_check_sees_a_class_defined_elsewhere() -> None:
    assert error_classes("preo_nb.sandbox.core.errors") == ["ApiError"]
