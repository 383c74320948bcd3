"""The segment builder's model: clauses from the CEL context, their CEL text, saving and calculating.

Display-free. ``clause_kinds(context)`` offers only what the context
(``preo.segments.cel_context``) says a condition may use; ``clause(...)``
writes one clause as CEL with every value quoted as a CEL literal;
``combine`` joins clauses with ``&&``/``||`` keeping the order they were added
in; ``save`` creates or updates; ``follow`` watches a calculation.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from preo_nb import cel
from preo_nb.errors import PreoValidationError, WaitTimeout

if TYPE_CHECKING:
    from preo_nb.client import Client

COMPARISONS = ("==", "!=", ">", ">=", "<", "<=")
TEXT_OPERATORS = ("==", "!=", "contains", "startsWith", "endsWith", "matches")
JOINERS = {"AND": "&&", "OR": "||"}
STEPS = {"draft": 0, "pending": 1, "processing": 2, "completed": 3, "failed": 3}


@dataclass(frozen=True)
class ClauseKind:
    """One kind of clause the builder offers.

    ``template`` holds ``{choice}``, ``{op}`` and ``{value}``; ``value`` is the
    kind of value typed in: ``none``, ``int``, ``double`` or ``text``.
    """

    key: str
    label: str
    template: str
    choices: tuple[tuple[str, str], ...] = ()
    operators: tuple[str, ...] = ()
    value: str = "none"


def clause_kinds(context: Mapping[str, Any]) -> dict[str, ClauseKind]:
    """The clause kinds this CEL context supports, by key, in the order the builder lists them."""
    functions = {f["name"] for f in context.get("functions", [])}
    variables = {v["name"]: v.get("type") for v in context.get("variables", [])}
    dynamic = context.get("dynamic_values") or {}
    products = tuple((p.get("name") or p["id"], p["id"]) for p in context.get("products", []))
    user_text = tuple(
        (n.split(".", 1)[1], n.split(".", 1)[1])
        for n, t in variables.items()
        if n.startswith("user.") and t == "string"
    )
    offered = [
        (
            "has_purchased" in functions and products,
            ClauseKind("product", "Bought a product", "has_purchased({choice})", products),
        ),
        (
            "has_product_type" in functions and dynamic.get("product_types"),
            ClauseKind(
                "product_type",
                "Bought a product type",
                "has_product_type({choice})",
                tuple((t, t) for t in dynamic["product_types"]) if dynamic.get("product_types") else (),
            ),
        ),
        (
            "total_spent" in functions,
            ClauseKind("total_spent", "Total spent", "total_spent() {op} {value}", (), COMPARISONS, "double"),
        ),
        (
            "days_since" in functions and "user.created" in variables,
            ClauseKind(
                "signup_days", "Days since sign-up", "days_since(user.created) {op} {value}", (), COMPARISONS, "int"
            ),
        ),
        (
            "orders" in variables,
            ClauseKind("order_count", "Number of orders", "size(orders) {op} {value}", (), COMPARISONS, "int"),
        ),
        (
            "purchases" in variables and dynamic.get("purchase_statuses"),
            ClauseKind(
                "purchase_status",
                "Has a purchase with status",
                "purchases.exists(p, p.status == {choice})",
                tuple((s, s) for s in dynamic.get("purchase_statuses") or ()),
            ),
        ),
        (
            bool(user_text),
            ClauseKind("user_field", "Customer field", "user.{field} {op} {value}", user_text, TEXT_OPERATORS, "text"),
        ),
    ]
    return {kind.key: kind for usable, kind in offered if usable}


def literal(value: str, kind: str) -> str:
    """A typed value as a CEL literal.

    Raises:
        PreoValidationError: Not a whole number (``int``) or not a number (``double``).
    """
    text = value.strip()
    if kind == "int":
        try:
            return str(int(text))
        except ValueError:
            raise PreoValidationError("value", f"{value!r} is not a whole number") from None
    if kind == "double":
        try:
            number = float(text)
        except ValueError:
            raise PreoValidationError("value", f"{value!r} is not a number") from None
        if number != number or number in (float("inf"), float("-inf")):
            raise PreoValidationError("value", f"{value!r} is not a finite number")
        return repr(number)
    return json.dumps(value, ensure_ascii=False)  # a JSON string is a valid CEL string literal


def clause(
    kind: ClauseKind, choice: str | None = None, operator: str | None = None, value: str = "", negate: bool = False
) -> str:
    """Write one clause as CEL.

    Raises:
        PreoValidationError: A missing choice or operator, or a value of the wrong kind.
    """
    if kind.choices and choice not in {v for _, v in kind.choices}:
        raise PreoValidationError("choice", f"choose one of the {kind.label.lower()} options")
    if kind.operators and operator not in kind.operators:
        raise PreoValidationError("operator", f"choose one of {', '.join(kind.operators)}")
    if kind.value == "text" and operator not in ("==", "!=") and not value:
        raise PreoValidationError("value", f"{operator} needs some text")
    rendered = literal(value, kind.value) if kind.value != "none" else ""
    if kind.key == "user_field":
        written = (
            f"user.{choice} {operator} {rendered}"
            if operator in ("==", "!=")
            else f"user.{choice}.{operator}({rendered})"
        )
    else:
        written = kind.template.format(choice=json.dumps(choice, ensure_ascii=False), op=operator, value=rendered)
    return f"!({written})" if negate else written


def combine(existing: str, new: str, joiner: str) -> str:
    """Join ``new`` to the condition so far, keeping the order the clauses were added in.

    ``a || b`` followed by ``&& c`` becomes ``(a || b) && c``, not CEL's
    ``a || (b && c)``.
    """
    if joiner not in JOINERS.values():
        raise PreoValidationError("joiner", f"{joiner!r} is not && or ||")
    existing = existing.strip()
    if not existing:
        return new
    other = "||" if joiner == "&&" else "&&"
    if other in cel.code_only(existing):
        existing = f"({existing})"
    return f"{existing} {joiner} {new}"


def save_problems(name: str, condition: str, context: Mapping[str, Any] | None) -> dict[str, str]:
    """What stops a save: an empty name, or a condition the local checks refuse."""
    found = {}
    if not name.strip():
        found["name"] = "give the segment a name"
    problems = cel.check(condition, context)
    if problems:
        found["condition"] = problems[0].where()
    return found


def save(
    preo: Client, segment_id: str | None, *, organization_id: str, edition_id: str, name: str, condition: str
) -> dict[str, Any]:
    """Create the segment (``segment_id`` is ``None``) or update its name and condition."""
    if segment_id is None:
        return preo.segments.create(
            organization_id=organization_id, edition_id=edition_id, name=name.strip(), condition=condition
        )
    return preo.segments.update(segment_id, name=name.strip(), condition=condition)


def follow(
    preo: Client,
    segment_id: str,
    step: Callable[[dict[str, Any]], None],
    *,
    interval: float = 1.0,
    timeout: float = 300.0,
) -> dict[str, Any]:
    """Retrieve a segment until its calculation is ``completed`` or ``failed``, calling ``step`` each time.

    Raises:
        WaitTimeout: Still calculating after ``timeout`` seconds.
    """
    deadline = time.monotonic() + timeout
    while True:
        segment = preo.segments.retrieve(segment_id)
        step(segment)
        if segment["status"] in ("completed", "failed", "draft"):
            return segment
        if time.monotonic() + interval > deadline:
            raise WaitTimeout(f"{segment_id} is still {segment['status']} after {timeout:g} s; it goes on")
        time.sleep(interval)
