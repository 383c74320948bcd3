"""RefundForm: file one refund request, with a preview of exactly what will be sent."""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Any

import ipywidgets as widgets

from preo_nb import contract
from preo_nb.errors import PreoError
from preo_nb.widgets import _html, refund_lookup
from preo_nb.widgets._view import Form, field
from preo_nb.widgets.refund_draft import SCOPE_LABELS, PlannedRequest, PurchaseFacts, RefundDraft, paid_of, read_money
from preo_nb.widgets.refund_lookup import Unsettled

if TYPE_CHECKING:
    from preo_nb.client import Client

CHOOSE = "Choose a reason…"
WIDE = {"width": "40em"}
NARROW = {"width": "28em"}


class RefundForm(Form):
    """File a refund request for one purchase: find, fill in, preview, confirm.

    Confirm sends exactly the request the preview shows; changing any value
    after the preview takes Confirm away until you preview again, and a second
    click never files a second request. When Confirm's answer is lost and the
    client cannot tell whether the request was filed, the form says "outcome
    unknown" and where to look, and keeps Preview and Confirm of that purchase
    off until "Check again" finds the request (filed) or finds none (not filed).

    Attributes:
        lookup, find: Purchase id or order number, and the button that looks it up.
        purchase: The purchases of the order found (choose one).
        facts: What was paid, refunded and is still available.
        reason, scope, amount, comment, pickup_point: The request's values.
        problems: What still stops the refund.
        preview, submit: Preview the request; Confirm (send) it.
        check_again: After an unknown outcome: look for the request among the purchase's.
        request: The previewed request (method, path, JSON body, money that moves).
        planned: The ``PlannedRequest`` on show, ``None`` when there is none.
    """

    css_class = "preo-refund-form"

    def __init__(self, preo: Client, purchase_id: str | None = None) -> None:
        super().__init__()
        self.preo = preo
        self.draft = RefundDraft()
        self.planned: PlannedRequest | None = None
        self.unsettled: dict[str, Unsettled] = {}  # by purchase id: Confirms whose outcome is unknown
        self._order: dict[str, Any] | None = None
        self._points: dict[str, list[tuple[str, str]]] = {}
        self._lock = threading.Lock()
        self._syncing = False
        self._build()
        if purchase_id:
            self.lookup.value = purchase_id
            self.guard(self._find)
        self._refresh()

    def _build(self) -> None:
        self.lookup = field(
            widgets.Text(description="Purchase", placeholder="purchase id or order number", layout={"width": "28em"}),
            "preo-refund-lookup",
        )
        self.find = field(widgets.Button(description="Find", icon="search"), "preo-refund-find")
        self.purchase = field(widgets.Dropdown(description="Item", options=[], layout=WIDE), "preo-refund-purchase")
        self.facts = widgets.HTML()
        reasons = [(CHOOSE, None), *((r.replace("_", " "), r) for r in contract.enum("RefundReason"))]
        self.reason = field(
            widgets.Dropdown(description="Reason", options=reasons, layout=NARROW), "preo-refund-reason"
        )
        scopes = [(f"{s}: {SCOPE_LABELS[s]}", s) for s in contract.enum("RefundScope")]
        self.scope = field(
            widgets.Dropdown(description="Scope", options=[("-", None), *scopes], layout=WIDE), "preo-refund-scope"
        )
        self.amount = field(widgets.FloatText(description="Amount", disabled=True, layout=NARROW), "preo-refund-amount")
        self.comment = field(widgets.Textarea(description="Comment", rows=2, layout=WIDE), "preo-refund-comment")
        self.pickup_point = field(
            widgets.Dropdown(description="Pickup point", options=[("(none)", None)], layout=NARROW),
            "preo-refund-pickup",
        )
        self.problems = widgets.HTML()
        self.preview = field(widgets.Button(description="Preview", icon="eye"), "preo-refund-preview")
        self.submit = field(
            widgets.Button(
                description="Confirm refund",
                button_style="danger",
                icon="check",
                disabled=True,
                layout={"width": "auto"},
            ),
            "preo-refund-submit",
        )
        self.check_again = field(
            widgets.Button(
                description="Check again", icon="refresh", disabled=True, layout={"width": "auto", "display": "none"}
            ),
            "preo-refund-check-again",
        )
        self.request = widgets.HTML()
        self.request.add_class("preo-refund-request")
        self._mount(
            widgets.HTML("<h3 style='margin:0'>Refund a purchase</h3>"),
            widgets.HBox([self.lookup, self.find]),
            self.purchase,
            self.facts,
            self.reason,
            self.scope,
            self.amount,
            self.comment,
            self.pickup_point,
            self.problems,
            widgets.HBox([self.preview, self.submit, self.check_again]),
            self.request,
        )
        self._wire()

    def _wire(self) -> None:
        self.find.on_click(self.on(self._find))
        self.purchase.observe(self.on(self._choose_purchase), "value")
        self.reason.observe(self.on(self._reason_changed), "value")
        for control in (self.scope, self.amount, self.comment, self.pickup_point):
            control.observe(self.on(self._values_changed), "value")
        self.preview.on_click(self.on(self._preview))
        self.submit.on_click(self.on(self._submit))
        self.check_again.on_click(self.on(self._check_again))

    # -- finding the purchase ------------------------------------------------------

    def _find(self) -> None:
        self.say("info", f"Looking up {self.lookup.value.strip()}…")
        order, purchase_id = refund_lookup.find_order(self.preo, self.lookup.value)
        self._order = order
        options = [
            (f"{p['product']['name']} · {p['status']} · {_money(paid_of(p))} · {p['api_id']}", p["api_id"])
            for p in order.get("purchases", [])
        ]
        chosen = purchase_id or (options[0][1] if options else None)
        self._syncing = True
        try:
            self.purchase.options = options
            self.purchase.value = chosen
        finally:
            self._syncing = False
        self._choose_purchase()
        found = f"purchase {purchase_id}" if purchase_id else f"order {order.get('order_number')}"
        self.say("ok", f"Found {found} ({len(options)} item{'s' if len(options) != 1 else ''} in the order)")

    def _choose_purchase(self) -> None:
        if self._syncing or self._order is None or self.purchase.value is None:
            return
        facts = refund_lookup.facts_for(self.preo, self._order, self.purchase.value)
        self.draft.facts = facts
        self._load_pickup_points(facts)
        self._values_changed()

    def _load_pickup_points(self, facts: PurchaseFacts) -> None:
        if facts.edition_id not in self._points:
            self._points[facts.edition_id] = refund_lookup.pickup_points(self.preo, facts.edition_id)
        points = self._points[facts.edition_id]
        usual = next((id for name, id in points if name == facts.pickup_point), None)
        self._syncing = True
        try:
            self.pickup_point.options = [("(none)", None), *points]
            self.pickup_point.value = usual
        finally:
            self._syncing = False

    # -- values ----------------------------------------------------------------------

    def _reason_changed(self) -> None:
        self.draft.choose_reason(self.reason.value)
        self._syncing = True
        try:
            self.scope.value = self.draft.scope
        finally:
            self._syncing = False
        self._values_changed()

    def _values_changed(self) -> None:
        """Copy the controls into the draft, show the amount and what is wrong; any change voids the preview."""
        if self._syncing:
            return
        self.draft.scope = self.scope.value
        self.draft.comment = self.comment.value
        self.draft.pickup_point_id = self.pickup_point.value
        self._syncing = True
        try:
            self.amount.disabled = not self.draft.custom
            if self.draft.custom:
                self.draft.amount = self.amount.value
                self.amount.description = "Amount"
            else:
                due = self.draft.amount_due()
                self.amount.value = float(due) if due is not None else 0.0
                unknown = due is None and self.draft.facts is not None and self.draft.scope in SCOPE_LABELS
                self.amount.description = "Amount unknown" if unknown else "Amount"
        finally:
            self._syncing = False
        self._void_preview()
        self._refresh()

    def _refresh(self) -> None:
        facts = self.draft.facts
        self.facts.value = "" if facts is None else _facts_table(facts, self.draft)
        self.problems.value = _html.problems(self.draft.errors())
        self._sync_unsettled()

    def _current_unsettled(self) -> Unsettled | None:
        facts = self.draft.facts
        return None if facts is None else self.unsettled.get(facts.purchase_id)

    def _sync_unsettled(self) -> None:
        """Preview is off, and Check again on, while this purchase has a Confirm of unknown outcome."""
        unsure = self._current_unsettled() is not None
        self.preview.disabled = unsure
        self.check_again.disabled = not unsure
        self.check_again.layout.display = None if unsure else "none"

    # -- preview and confirm ---------------------------------------------------------

    def _void_preview(self) -> None:
        with self._lock:
            had = self.planned is not None
            self.planned = None
            self.submit.disabled = True
        if had:
            self.request.value = _html.status("warning", "Changed since the preview: preview again to confirm.")

    def _preview(self) -> None:
        unsettled = self._current_unsettled()
        if unsettled is not None:
            self.say(
                "warning",
                "Outcome of the last Confirm unknown: press Check again before a new preview "
                f"(look at {unsettled.where_to_look()}).",
            )
            return
        problems = self.draft.errors()
        if problems:
            self.say("error", "Not ready to preview: " + "; ".join(f"{k}: {v}" for k, v in problems.items()))
            return
        plan = self.draft.request()
        facts = self.draft.facts
        assert facts is not None  # request() refuses without a purchase
        self.request.value = _request_html(plan, facts, self.draft.scope or "")
        with self._lock:
            self.planned = plan
            self.submit.disabled = False
        self.say("info", f"Check the request below, then Confirm to refund {_html.money(plan.amount, plan.currency)}.")

    def _submit(self) -> None:
        with self._lock:  # the button goes first, so a second click finds nothing to send
            self.submit.disabled = True
            plan, self.planned = self.planned, None
        if plan is None:
            return
        self.say("info", f"Sending {plan.method} {plan.path}…")
        seen = self.draft.facts.request_ids if self.draft.facts else frozenset()
        try:
            made = self.preo.purchases.refund(plan.purchase_id, **plan.arguments())
        except Exception as exc:
            if refund_lookup.not_filed(exc):
                self.request.value += _html.status("error", "Not filed (see below). Preview again to retry.")
                raise
            self._unsettle(Unsettled.after(plan, seen, exc))
            if not isinstance(exc, PreoError):
                raise  # a bug: the form shows its traceback too
            return
        self._report(plan, made)
        self.guard(self._reload)

    def _unsettle(self, unsettled: Unsettled) -> None:
        self.unsettled[unsettled.plan.purchase_id] = unsettled
        self._sync_unsettled()
        self.request.value += _html.status("warning", "Outcome unknown: this refund may or may not have been filed.")
        self.say("warning", unsettled.notice())

    def _check_again(self) -> None:
        unsettled = self._current_unsettled()
        if unsettled is None:
            return
        self.say("info", f"Looking for the request among the refund requests of {unsettled.plan.purchase_id}…")
        try:
            made, others = refund_lookup.find_filed(self.preo, unsettled)
        except PreoError as exc:
            self.say("warning", unsettled.still_unknown(exc))
            return
        del self.unsettled[unsettled.plan.purchase_id]
        if made is not None:
            self._report(unsettled.plan, made)
        else:
            self.say(*refund_lookup.not_found(others))
        self.guard(self._reload)
        self._sync_unsettled()

    def _report(self, plan: PlannedRequest, made: dict[str, Any]) -> None:
        amount = read_money(made.get("amount"))
        text = (
            f"Refund request {made.get('id')} filed: {_money(amount, plan.currency)} "
            f"({made.get('status')}, {made.get('scope')})."
        )
        if amount != plan.amount:
            text += f" Preo computed a different amount than the preview ({_html.money(plan.amount, plan.currency)})."
        self.say("ok" if amount == plan.amount else "warning", text)
        self.request.value += _html.status("ok", f"Sent: {made.get('id')}")

    def _reload(self) -> None:
        if self._order is not None and self.draft.facts is not None:
            self._order = self.preo.orders.retrieve(self._order["id"])
            self.draft.facts = refund_lookup.facts_for(self.preo, self._order, self.draft.facts.purchase_id)
            self._refresh()


def _money(value: Any, currency: str = "eur") -> str:
    """An amount, or "unknown" when Preo sent none readable (never shown as 0)."""
    return "unknown" if value is None else _html.money(value, currency)


def _facts_table(facts: PurchaseFacts, draft: RefundDraft) -> str:
    def money(value: Any) -> str:
        return _money(value, facts.currency)

    open_request = (
        ", ".join(f"{r.get('id')} ({r.get('status')}, {money(r.get('amount'))})" for r in facts.open_requests) or "none"
    )
    rows = [
        ("Order", f"{facts.order_number} · {facts.customer}"),
        ("Product", f"{facts.product} ({facts.status})"),
        (
            "Paid",
            f"{money(facts.paid)} (price {money(facts.price)}, deposit {money(facts.deposit)}, fee {money(facts.fee)})",
        ),
        ("Deposit", money(facts.deposit)),
        ("Already refunded", money(facts.refunded)),
        ("Still available", money(facts.available(draft.scope or "purchase_full"))),
        ("Open request", open_request),
    ]
    return _html.facts(rows)


def _request_html(plan: PlannedRequest, facts: PurchaseFacts, scope: str) -> str:
    moves = (
        f"Money that moves: {_html.money(plan.amount, plan.currency)} back to {facts.customer} "
        f"({scope}: {SCOPE_LABELS.get(scope, scope)}), from payment {facts.transaction_id}."
    )
    return (
        f'<div class="preo-request"><b>{_html.esc(plan.method)} {_html.esc(plan.path)}</b>'
        f"{_html.json_block(plan.body)}<div class='preo-moves'>{_html.esc(moves)}</div></div>"
    )
