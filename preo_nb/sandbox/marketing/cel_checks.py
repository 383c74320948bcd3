"""Checking a condition before it is saved, and describing the CEL context.

``check(source)`` returns the errors ``segments_validate_cel`` reports and
``segments_create``/``segments_update`` refuse (README 4.4). The engine has
no static type checker, so "valid" is established in three steps:

1. **Parses**: ``cel.compile``; its syntax errors carry ``line:column``.
2. **Known names**: the variables and functions the compiled program
   references (``Program.references()``) must be the context's roots, CEL
   type names, comprehension variables (``purchases.exists(p, ...)``), the
   four sandbox functions or a CEL built-in; ``user.<field>`` must be a user
   field. These errors point at the name's first occurrence.
3. **Type bool**: the condition is evaluated on two sample customers (one with
   a purchase and an order of every field, one with nothing). A result that is
   not a bool, an operator applied to the wrong types, a function called with
   the wrong arguments or an unknown map key makes it invalid (only a
   function's misuse points at the function).
   Errors that depend on the data (index out of range, division by zero,
   overflow, a bad conversion) do not: they fail the calculation instead.
   Branches the samples do not reach are not type-checked.
"""

from __future__ import annotations

import re
from datetime import timedelta
from decimal import Decimal
from typing import Any

import cel

from preo_nb.cel import (
    BUILTINS,
    TYPE_NAMES,
    bound_variables,
    code_only,
    compile_condition,
    offset_to_position,
    position,
    syntax_problems,
)
from preo_nb.sandbox.commerce.models import PRODUCT_TYPES, Customer, Order, Purchase
from preo_nb.sandbox.core.clock import ANCHOR
from preo_nb.sandbox.marketing.cel_engine import (
    PURCHASE_STATUSES,
    ROOTS,
    USER_FIELDS,
    Runner,
    Subject,
    brief,
    cel_type,
    order_map,
    purchase_map,
    user_map,
)

Json = dict[str, Any]
SANDBOX_FUNCTIONS = ("has_purchased", "has_product_type", "total_spent", "days_since")
_USER_FIELD = re.compile(r"\buser\s*\.\s*([A-Za-z_]\w*)")
_DATA_ERRORS = (IndexError, ZeroDivisionError, OverflowError, ValueError)


def error(message: str, line: int | None = None, column: int | None = None) -> Json:
    """One CELValidationError."""
    return {"message": message, "line": line, "column": column}


def check(source: str) -> list[Json]:
    """Return the condition's errors (empty when it is valid)."""
    try:
        program = compile_condition(source)
    except ValueError as exc:
        return syntax_errors(str(exc))
    return name_errors(source, program) or type_errors(source, program)


def syntax_errors(text: str) -> list[Json]:
    """Split the engine's parse failure into errors with 1-based line and column."""
    return [error(p.message, p.line, p.column) for p in syntax_problems(text)]


def name_errors(source: str, program: cel.Program) -> list[Json]:
    """Errors for names the context does not define, at their first occurrence."""
    references = program.references()
    source = code_only(source)
    bound = bound_variables(source)
    known = {*ROOTS, *TYPE_NAMES, *bound}
    errors = [
        error(f"undeclared reference to '{name}'", *position(source, name))
        for name in references["variables"]
        if name not in known
    ]
    errors += [
        error(f"undeclared reference to function '{name}'", *position(source, name))
        for name in references["functions"]
        if name[0].isalpha() and name not in (*SANDBOX_FUNCTIONS, *BUILTINS)
    ]
    if "user" not in bound:
        for match in _USER_FIELD.finditer(source):
            if match[1] not in USER_FIELDS:
                line, column = offset_to_position(source, match.start(1))
                errors.append(error(f"user has no field '{match[1]}'", line, column))
    return errors


def type_errors(source: str, program: cel.Program) -> list[Json]:
    """Evaluate on the sample customers; report what makes the condition not a bool."""
    runner = Runner(program, edition_id="edt_sample", now=ANCHOR)
    for subject in samples():
        try:
            value = runner.run(subject)
        except _DATA_ERRORS:
            continue
        except KeyError as exc:
            return [error(f"no such key: {exc}")]
        except RuntimeError as exc:
            if "Python function call failed: TypeError" not in str(exc):
                continue  # a built-in failing on sample values, e.g. int("x")
            message = brief(exc)
            return [error(message, *position(code_only(source), message.split("(")[0]))]
        except TypeError as exc:
            return [error(brief(exc))]
        if not isinstance(value, bool):
            return [error(f"the condition must give a bool, not {cel_type(value)}")]
    return []


def samples() -> list[Subject]:
    """A customer with one purchase and one order, and one with nothing at all."""
    when = ANCHOR - timedelta(days=30)
    rich = Customer("usr_sample", "sam@example.com", "Sam", "Sample", "+4520000000", "en", when, when)
    bare = Customer("usr_empty", None, "", "", None, None, when, when)
    purchase = Purchase(
        "pur_sample",
        "ord_sample",
        "edt_sample",
        "prd_sample",
        rich.id,
        None,
        "00000000",
        "paid",
        price=Decimal("7.50"),
        deposit=Decimal("1.00"),
        fee=Decimal("0.00"),
        created=when,
        modified=when,
    )
    order = Order(
        "ord_sample",
        "S-000001",
        "completed",
        "online",
        Decimal("8.50"),
        "edt_sample",
        "org_sample",
        rich.id,
        None,
        when,
        when,
    )
    return [
        Subject(user_map(rich, ["cns_sample"]), [purchase_map(purchase, "drink")], [order_map(order)]),
        Subject(user_map(bare, [])),
    ]


# -- the context description (segments_cel_context) -----------------------------

VARIABLES = (
    ("user.id", "string", "Customer id (usr_...)."),
    ("user.email", "string", 'E-mail address; "" when the customer has none.'),
    ("user.phone_number", "string", 'Phone number with country prefix; "" when none.'),
    ("user.first_name", "string", "First name."),
    ("user.last_name", "string", "Last name."),
    ("user.locale", "string", 'Language code (en, da, nl, se, pl); "" when unknown.'),
    ("user.created", "timestamp", "When the customer signed up."),
    ("user.consents", "list(string)", "Ids of the organization's consents the customer granted."),
    ("edition_id", "string", 'The segment\'s edition; "" when the segment spans the organization.'),
    (
        "purchases",
        "list(map)",
        "The customer's purchases in scope, every status: product_id, product_type, "
        "category_ids, status, price, created.",
    ),
    ("orders", "list(map)", "The customer's orders in scope: order_number, status, type, amount, created."),
)
FUNCTIONS = (
    (
        "has_purchased",
        "has_purchased(product_id) -> bool",
        "Whether a paid, partially refunded or refunded purchase is for this product.",
        'has_purchased("prd_...")',
    ),
    (
        "has_product_type",
        "has_product_type(type) -> bool",
        "Whether a paid, partially refunded or refunded purchase is of this product type.",
        'has_product_type("drink")',
    ),
    (
        "total_spent",
        "total_spent() -> double",
        "Sum of the price (without deposit and fee, before refunds) of the paid, partially refunded and "
        "refunded purchases, in the segment's edition or in every edition of the organization.",
        "total_spent() > 50.0",
    ),
    (
        "days_since",
        "days_since(timestamp) -> int",
        "Whole days from a timestamp to now.",
        "days_since(user.created) < 30",
    ),
    ("size", "size(list) -> int", "CEL built-in: number of items.", "size(orders) >= 2"),
    (
        "exists",
        "list.exists(x, predicate) -> bool",
        "CEL built-in macro: some item matches.",
        'purchases.exists(p, p.product_type == "ticket" && p.status == "paid")',
    ),
    (
        "all",
        "list.all(x, predicate) -> bool",
        "CEL built-in macro: every item matches.",
        'orders.all(o, o.type == "online")',
    ),
    (
        "matches",
        "string.matches(regex) -> bool",
        "CEL built-in: RE2 regular expression match.",
        'user.email.matches(".*@example\\\\.com$")',
    ),
)


def describe(products: list[Json], product_types: list[str]) -> Json:
    """The CELContext body."""
    return {
        "variables": [{"name": n, "type": t, "description": d} for n, t, d in VARIABLES],
        "functions": [{"name": n, "syntax": s, "description": d, "example": e} for n, s, d, e in FUNCTIONS],
        "products": products,
        "dynamic_values": {
            "product_types": [t for t in PRODUCT_TYPES if t in product_types],
            "purchase_statuses": list(PURCHASE_STATUSES),
        },
    }
