"""Hints for the person reading an error: where a token came from, what an id looks like.

The id prefixes beyond ``org_ evt_ edt_ usr_ trx_`` are the sandbox's own (contract
README section 3), so every hint built on them says "looks like", never more.
"""

from __future__ import annotations

import functools
import re

#: Id prefixes and what they name: ``org_ evt_ edt_ usr_ trx_`` are documented, the rest are
#: the sandbox's own (contract README section 3), so hints built on them say "looks like".
ID_KINDS: dict[str, tuple[str, str | None]] = {
    "org_": ("an organization", None),
    "evt_": ("an event", None),
    "edt_": ("an edition", "editions"),
    "usr_": ("a user", "users"),
    "trx_": ("a payment transaction", None),
    "ord_": ("an order", "orders"),
    "pur_": ("a purchase", "purchases"),
    "rfr_": ("a refund request", "refunds"),
    "fil_": ("a file", "files"),
    "dim_": ("a data import", "data_imports"),
    "cmp_": ("a campaign", "campaigns"),
    "cns_": ("a consent", "consents"),
    "eml_": ("an email message", "email_messages"),
    "seg_": ("a segment", "segments"),
    "whk_": ("a webhook endpoint", "webhooks"),
    "whd_": ("a webhook delivery", None),
    "whe_": ("a webhook event", None),
    "prd_": ("a product", None),
    "pup_": ("a pickup point", None),
}
ORDER_NUMBER = re.compile(r"[A-Za-z0-9]+(?:-[A-Za-z0-9]+)*")  # e.g. NF26-000001: no prefix, no underscore


def token_hint(source: object) -> str:
    """The hint of a 401: where the token came from (never the token itself)."""
    return (
        f"the API token came from {source}; check it there (expired, revoked, "
        "or meant for another Preo address than this base URL?)"
    )


def positional(method: str, keywords: list[str], values: tuple[object, ...]) -> str:
    """Why ``method`` refused ``values`` passed by position, naming the keyword each likely belongs to."""
    shown = ", ".join(map(repr, values))
    if not keywords:
        return f"{method}() got {len(values)} argument(s) too many: {shown}"
    for value in values:
        prefix = value[: value.find("_") + 1] if isinstance(value, str) and "_" in value else ""
        kind, _ = ID_KINDS.get(prefix, (None, None))
        keyword = kind.split(" ", 1)[1].replace(" ", "_") + "_id" if kind else None
        if keyword in keywords:
            return (
                f"{method}() takes its filters by keyword, not by position: {value!r} looks like {kind} id, "
                f"so pass {keyword}={value!r}"
            )
    return f"{method}() takes its filters by keyword, not by position ({shown}); it takes {', '.join(keywords)}"


def not_found(path: str) -> str | None:
    """What a 404 on ``path`` looked up, and where the id may belong instead."""
    found = _looked_up(path.rstrip("/"))  # an API with trailing_slash=True looks up the same object
    if found is None:
        return None
    group, id = found
    kind, _ = next(((k, g) for k, g in ID_KINDS.values() if g == group), (f"a {group}", group))
    return " ".join(filter(None, [f"No {kind.split(' ', 1)[1]} {id!r} that this token can see.", _id_hint(group, id)]))


def _id_hint(group: str, id: str) -> str | None:
    """Where an id that 404'd on ``group`` may belong instead (a guess, phrased as one)."""
    prefix = id[: id.find("_") + 1] if "_" in id else ""
    kind, home = ID_KINDS.get(prefix, (None, None))
    if kind is not None and home != group:
        if prefix == "trx_" and group in ("orders", "purchases"):
            return f"{id!r} looks like {kind} id; to find its order use preo.orders.list(transaction_id={id!r}, ...)"
        where = f"; try preo.{home}.retrieve({id!r})" if home else ""
        return f"{id!r} looks like {kind} id (its prefix is {prefix}){where}"
    if (
        kind is None
        and group in ("orders", "purchases")
        and ORDER_NUMBER.fullmatch(id)
        and any(ch.isdigit() for ch in id)
    ):
        return (
            f"{id!r} looks like an order number; to find an order by its number use "
            f"preo.orders.list(order_number={id!r}, organization_id=...)"
        )
    return None


def _looked_up(path: str) -> tuple[str, str] | None:
    """The API group (as ``preo.<group>``) and the id in an object's path, if it is one."""
    for pattern, group in _contract_paths():
        match = pattern.search(path)
        if match:
            return (group, match["id"]) if group else None
    return None


@functools.cache
def _contract_paths() -> tuple[tuple[re.Pattern[str], str | None], ...]:
    """A regex per contract path: fixed paths first (no group), then those with one ``{id}``."""
    from preo_nb import contract  # lazily: an error is rare, the contract is big

    paths = {operation.path for operation in contract.operations().values()}
    fixed = [(re.compile(re.escape(path) + "$"), None) for path in paths if "{" not in path]
    objects = [
        (
            re.compile(re.escape(path).replace(re.escape("{id}"), r"(?P<id>[^/]+)") + "$"),
            path.split("/")[2].replace("-", "_"),
        )
        for path in sorted(paths)
        if path.count("{") == 1 and "{id}" in path
    ]
    return (*fixed, *objects)
