"""The sandbox's floors, checked from its source: every import runs down, never back up.

Floors, from the ground: ``core`` (knows no domain), ``web`` (what every
domain's views share), the domains (each on those listed before it in
``domains.DOMAINS``), then the top: the registry, the app, seeding, finders,
the server. Every import statement counts, also those inside functions and
under ``if TYPE_CHECKING:``: a deferred import is still an arrow a reader follows.
"""

from __future__ import annotations

import ast
import functools
from pathlib import Path

import pytest

from preo_nb.sandbox.domains import DOMAINS

SANDBOX = Path(__file__).resolve().parents[2] / "preo_nb" / "sandbox"
PREFIX = "preo_nb.sandbox."
GROUND = ("core", "web")
DOMAIN_NAMES = tuple(domain.package.removeprefix(PREFIX) for domain in DOMAINS)


def module_name(path: Path) -> str:
    """``.../sandbox/core/store.py`` -> ``preo_nb.sandbox.core.store`` (a package by its own name)."""
    parts = path.relative_to(SANDBOX.parents[1]).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {module_name(path): path for path in sorted(SANDBOX.rglob("*.py"))}


def imports_in(source: str, module: str, *, is_package: bool = False) -> set[str]:
    """Every module of the sandbox that ``source`` imports, anywhere in it (functions too)."""
    package = module if is_package else module.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            found.update(f"{base}.{alias.name}" if f"{base}.{alias.name}" in MODULES else base for alias in node.names)
    return {name for name in found if name.startswith(PREFIX)}


@functools.cache
def imported(module: str) -> frozenset[str]:
    path = MODULES[module]
    return frozenset(imports_in(path.read_text(), module, is_package=path.name == "__init__.py"))


def part(module: str) -> str:
    """The floor a module stands on: ``core``, ``web``, a domain's name, or ``top``."""
    first = module.removeprefix(PREFIX).split(".")[0] if module.startswith(PREFIX) else "top"
    return first if first in GROUND or first in DOMAIN_NAMES else "top"


def arrows() -> list[tuple[str, str]]:
    """Every import from one part of the sandbox into another, as ``(module, imported)``."""
    return [(module, name) for module in MODULES for name in sorted(imported(module)) if part(name) != part(module)]


def test_every_sandbox_package_is_a_floor_or_a_registered_domain() -> None:
    packages = {path.parent.name for path in SANDBOX.glob("*/__init__.py")}
    assert packages == {*GROUND, *DOMAIN_NAMES}
    assert DOMAIN_NAMES[0] == "commerce"


def test_core_imports_nothing_above_it() -> None:
    assert [(m, n) for m, n in arrows() if part(m) == "core"] == []


def test_web_imports_only_core() -> None:
    assert [(m, n) for m, n in arrows() if part(m) == "web" and part(n) != "core"] == []


def test_no_domain_imports_the_top_floor() -> None:
    """Domains never import the app, the registry, seeding, finders or the server."""
    assert [(m, n) for m, n in arrows() if part(m) in DOMAIN_NAMES and part(n) == "top"] == []


@pytest.mark.parametrize("domain", DOMAIN_NAMES)
def test_a_domain_imports_only_domains_below_it(domain: str) -> None:
    """One way: a domain imports those listed before it in the registry, so no two import each other."""
    below = DOMAIN_NAMES[: DOMAIN_NAMES.index(domain)]
    upward = [(m, n) for m, n in arrows() if part(m) == domain and part(n) in DOMAIN_NAMES and part(n) not in below]
    assert upward == []


def test_the_check_reads_imports_inside_functions_and_type_checking_blocks() -> None:
    source = (
        "from typing import TYPE_CHECKING\n"
        "if TYPE_CHECKING:\n"
        "    from preo_nb.sandbox.emails.models import EmailMessage\n"
        "def later():\n"
        "    from preo_nb.sandbox import app\n"
        "    from . import render\n"
    )
    found = imports_in(source, "preo_nb.sandbox.commerce.rules_editions")
    assert found == {"preo_nb.sandbox.emails.models", "preo_nb.sandbox.app", "preo_nb.sandbox.commerce.render"}
    assert "preo_nb.sandbox.app" in imported("preo_nb.sandbox.server")  # deferred inside start()


def test_the_parts_are_told_apart() -> None:
    assert [part(PREFIX + name) for name in ("core.store", "web.listing", "emails.rules", "app", "seed")] == [
        "core",
        "web",
        "emails",
        "top",
        "top",
    ]
