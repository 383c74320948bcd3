"""Local checks of segment conditions (CEL), for feedback before anything is sent.

``check(source, context)`` returns the problems of a condition, each with a
1-based line and column where the engine or the check can tell:

1. **Syntax**: the condition must parse (``cel.compile`` from the
   ``common-expression-language`` package).
2. **Names**, when a CEL context is given (``preo.segments.cel_context()``):
   every variable must be a root of the context's variables (``user``,
   ``purchases``...) or a variable bound by a macro (``orders.exists(o, ...)``),
   every function one the context lists or a CEL built-in, and
   ``user.<field>`` a field the context declares.

It does not evaluate anything: whether the condition gives a bool is left to
the server's ``validate_cel``, which knows the real data.

A condition longer than ``MAX_CONDITION_LENGTH`` is one problem before the
engine sees it, and ``compile_condition``/``guarded`` turn the engine's Rust
panics (a ``BaseException``, which ``except Exception`` would let through) into
``EngineError``. The sandbox uses this module's helpers and limit too.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from preo_nb.errors import EngineError as EngineError  # re-exported: the engine's error, named where it is used
from preo_nb.errors import MissingExtra

try:
    import cel
except ImportError as exc:
    raise MissingExtra("preo_nb.cel (local checks of segment conditions)", "widgets", "cel") from exc

MAX_CONDITION_LENGTH = 10_000
"""The longest condition accepted, in characters.

The engine panics when it reports a syntax error past character 65,535 (its
positions are 16-bit); conditions built in the segment builder are a few hundred
characters, so 10,000 leaves room for hand-written ones and stays far from that.
"""

#: Functions and methods every CEL program may call (the standard definitions).
BUILTINS = (
    "size",
    "contains",
    "startsWith",
    "endsWith",
    "matches",
    "int",
    "uint",
    "double",
    "string",
    "bytes",
    "bool",
    "timestamp",
    "duration",
    "type",
    "dyn",
    "has",
    "exists",
    "all",
    "exists_one",
    "map",
    "filter",
    "getFullYear",
    "getMonth",
    "getDate",
    "getDayOfMonth",
    "getDayOfYear",
    "getDayOfWeek",
    "getHours",
    "getMinutes",
    "getSeconds",
    "getMilliseconds",
)
TYPE_NAMES = ("int", "uint", "double", "bool", "string", "bytes", "list", "map", "null_type", "type")
_SYNTAX = re.compile(r"ERROR: <input>:(\d+):(\d+): (.*)")
_BOUND = re.compile(r"\.\s*(?:all|exists|exists_one|map|filter)\s*\(\s*([A-Za-z_]\w*)\s*,")
_LITERAL = re.compile(r'"""[\s\S]*?"""|\'\'\'[\s\S]*?\'\'\'|"(?:\\.|[^"\\\n])*"|\'(?:\\.|[^\'\\\n])*\'')


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a condition; ``line``/``column`` are 1-based, ``None`` when unknown."""

    message: str
    line: int | None = None
    column: int | None = None

    def where(self) -> str:
        """Return ``line 2, column 6: message`` (or the message alone)."""
        if self.line is None or self.column is None:
            return self.message
        return f"line {self.line}, column {self.column}: {self.message}"

    def caret(self, source: str) -> str:
        """Return the line at fault with a ``^`` under the column (empty when unknown)."""
        lines = source.split("\n")
        if self.line is None or self.column is None or not 0 < self.line <= len(lines):
            return ""
        text = lines[self.line - 1]
        return f"{text}\n{' ' * (self.column - 1)}^"


@contextmanager
def guarded() -> Iterator[None]:
    """Turn an engine panic inside the block into ``EngineError``; other exceptions pass unchanged."""
    try:
        yield
    except Exception:
        raise
    except BaseException as exc:
        # pyo3 raises PanicException, a BaseException so that it is not caught by accident.
        if type(exc).__name__ != "PanicException":
            raise
        raise EngineError(f"the CEL engine failed: {exc}") from None


def too_long(source: str) -> str | None:
    """Say why a condition is too long to check, or None when it is not."""
    if len(source) <= MAX_CONDITION_LENGTH:
        return None
    return f"the condition has {len(source):,} characters; at most {MAX_CONDITION_LENGTH:,} are allowed"


def compile_condition(source: str) -> cel.Program:
    """Compile a condition (``cel.compile``) within the length limit.

    Raises:
        ValueError: Too long, does not parse, or the engine failed (``EngineError``).
    """
    problem = too_long(source)
    if problem:
        raise ValueError(problem)
    with guarded():
        return cel.compile(source)


def check(source: str, context: Mapping[str, Any] | None = None) -> list[Problem]:
    """Return the problems of a condition (empty when it passes the local checks).

    Args:
        source: The CEL condition.
        context: ``preo.segments.cel_context(...)``; without it only the syntax is checked.
    """
    if not source.strip():
        return [Problem("the condition is empty", 1, 1)]
    problem = too_long(source)
    if problem:
        return [Problem(problem)]
    try:
        program = compile_condition(source)
    except ValueError as exc:
        return syntax_problems(str(exc))
    if context is None:
        return []
    problems = name_problems(source, program.references(), context)
    return sorted(problems, key=lambda p: (p.line or 0, p.column or 0))


def syntax_problems(text: str) -> list[Problem]:
    """Split the engine's parse failure into problems with their line and column."""
    found = [Problem(m[3].strip(), int(m[1]), int(m[2])) for m in _SYNTAX.finditer(text)]
    return found or [Problem(text.strip())]


def name_problems(source: str, references: Mapping[str, list[str]], context: Mapping[str, Any]) -> list[Problem]:
    """Problems for names the context does not define, at their first occurrence."""
    code = code_only(source)
    fields = declared_fields(context)
    known_functions = {f["name"] for f in context.get("functions", [])} | set(BUILTINS)
    bound = bound_variables(code)
    known_variables = set(fields) | set(TYPE_NAMES) | bound
    problems = [
        Problem(f"unknown variable '{name}'", *position(code, name))
        for name in references["variables"]
        if name not in known_variables
    ]
    problems += [
        Problem(f"unknown function '{name}'", *position(code, name))
        for name in references["functions"]
        if name[0].isalpha() and name not in known_functions
    ]
    for root, allowed in fields.items():
        if not allowed or root in bound:
            continue
        for match in re.finditer(rf"(?<![\w.]){re.escape(root)}\s*\.\s*([A-Za-z_]\w*)", code):
            if match[1] not in allowed:
                problems.append(Problem(f"{root} has no field '{match[1]}'", *offset_to_position(code, match.start(1))))
    return problems


def bound_variables(code: str) -> set[str]:
    """The variables macros bind in ``code`` (``o`` in ``orders.exists(o, ...)``)."""
    return set(_BOUND.findall(code))


def declared_fields(context: Mapping[str, Any]) -> dict[str, set[str]]:
    """The context's variable roots and, for dotted names (``user.email``), their fields."""
    fields: dict[str, set[str]] = {}
    for variable in context.get("variables", []):
        root, _, field = variable["name"].partition(".")
        fields.setdefault(root, set())
        if field:
            fields[root].add(field.split(".")[0])
    return fields


def code_only(source: str) -> str:
    """The source with string literals blanked out (same length, so positions hold)."""
    return _LITERAL.sub(lambda m: " " * len(m[0]), source)


def position(code: str, name: str) -> tuple[int | None, int | None]:
    """The line and column of the first use of ``name`` outside string literals."""
    found = re.search(rf"(?<![\w.]){re.escape(name)}\b", code) or re.search(rf"\b{re.escape(name)}\b", code)
    return offset_to_position(code, found.start()) if found else (None, None)


def offset_to_position(source: str, offset: int) -> tuple[int, int]:
    """Turn a character offset into a 1-based line and column."""
    before = source[:offset]
    return before.count("\n") + 1, offset - (before.rfind("\n") + 1) + 1
