"""Webhook endpoints and their deliveries: CRUD, delivery history, retry, secret rotation.

Two views differ from every other group's: the delivery reads first wait (a
few seconds at most) for deliveries still in flight, so a read right after the
triggering call shows the outcome; and the retry view takes the store lock
itself, because it makes its attempt between two locked phases (no network
I/O under the lock). The group also sends what any request queued: after each
request, deliveries waiting in the outbox get their senders.
"""

from __future__ import annotations

import functools
from operator import attrgetter
from typing import Any
from urllib.parse import urlsplit

from flask import Flask, Response, request

from preo_nb.sandbox.core.access import READ, WRITE
from preo_nb.sandbox.core.errors import conflict, forbidden, get_or_404, invalid, not_found, unknown_object
from preo_nb.sandbox.emails.rules import body_edition
from preo_nb.sandbox.web import listing
from preo_nb.sandbox.web.body import read_body
from preo_nb.sandbox.web.views import Group, View, caller, services, typed_store
from preo_nb.sandbox.webhooks import delivery as webhook_delivery
from preo_nb.sandbox.webhooks import render as render_webhooks
from preo_nb.sandbox.webhooks.models import DEFAULT_TIMEOUT, Tables, WebhookDelivery, WebhookEndpoint

store = typed_store(Tables)

Json = dict[str, Any]
ORDERING = {key: attrgetter(key) for key in ("created", "modified", "name")}
UPDATABLE = ("name", "url", "edition_id", "events", "is_active", "timeout_seconds")
SETTLING = ("webhooks_list_deliveries", "webhooks_retrieve_delivery")
SETTLE_SECONDS = 5.0
"""How long a delivery read waits for deliveries in flight before showing them as pending."""


class _WebhookGroup(Group):
    """The group, plus the settling and sending hooks and the self-locking retry view."""

    def register(self, app: Flask) -> None:
        super().register(app)
        app.view_functions["webhooks_retry_delivery"] = _path_values(webhooks_retry_delivery)
        app.before_request(_settle_before_delivery_reads)
        app.after_request(_send_queued)


def _path_values(func: View) -> View:
    @functools.wraps(func)
    def view(**kwargs: Any) -> Any:
        return func(*kwargs.values())

    return view


def _settle_before_delivery_reads() -> None:
    if request.endpoint in SETTLING:
        webhook_delivery.settle(services().store, SETTLE_SECONDS)


def _send_queued(response: Response) -> Response:
    webhook_delivery.send_queued(services().store)
    return response


group = _WebhookGroup("Webhooks")


def _delivery(endpoint_id: str, delivery_id: str, need: str) -> tuple[WebhookEndpoint, WebhookDelivery]:
    endpoint = caller().fetch(store().data.webhooks, endpoint_id, need)
    delivery = get_or_404(store().data.deliveries, delivery_id)
    if delivery.endpoint_id != endpoint.id:
        raise not_found()
    return endpoint, delivery


def _check(org_id: str, body: Json) -> Json:
    """Return the body's writable fields after the checks a serializer would make (400s)."""
    errors: dict[str, list[str]] = {}
    if "name" in body and not str(body["name"]).strip():
        errors["name"] = ["This field may not be blank."]
    if "url" in body and not _is_web_url(body["url"]):
        errors["url"] = ["Enter a valid URL (http or https)."]
    if "events" in body and not all(isinstance(e, str) and e.strip() for e in body["events"]):
        errors["events"] = ["Event names may not be blank."]
    if errors:
        raise invalid(errors)
    if body.get("edition_id") is not None:
        body_edition(store(), caller(), body["edition_id"], org_id)
    changes = {key: body[key] for key in UPDATABLE if key in body}
    if "events" in changes:
        changes["events"] = list(dict.fromkeys(changes["events"]))
    return changes


def _is_web_url(url: str) -> bool:
    parts = urlsplit(url)
    try:
        parts.port  # noqa: B018 - reading it validates the port
    except ValueError:
        return False
    return parts.scheme in ("http", "https") and bool(parts.hostname) and not any(c.isspace() for c in url)


@group.view
def webhooks_list() -> Json:
    """List the endpoints of the caller's organizations."""
    values = listing.filters("webhooks_list")
    orgs = listing.scoped_orgs(caller(), values)
    plain = {k: v for k, v in values.items() if k in ("edition_id", "is_active")}
    found = [
        w
        for w in store().data.webhooks.values()
        if w.organization_id in orgs and all(getattr(w, k) == v for k, v in plain.items())
    ]
    ordered = listing.ordered("webhooks_list", found, ORDERING)
    return listing.paginate(ordered, render_webhooks.endpoint)


@group.view
def webhooks_create() -> tuple[Json, int]:
    """Register an endpoint with a fresh secret (admin or manager)."""
    body = read_body("webhooks_create")
    org_id = body["organization_id"]
    if caller().role_in(org_id) is None:
        raise unknown_object("organization_id", org_id)
    if not caller().can(org_id, WRITE):
        raise forbidden()
    fields = _check(org_id, body)
    sandbox = store()
    now = sandbox.now()
    endpoint = WebhookEndpoint(
        id=sandbox.new_id("whk_"),
        organization_id=org_id,
        name=fields["name"],
        url=fields["url"],
        events=fields["events"],
        secret=webhook_delivery.new_secret(sandbox),
        created=now,
        modified=now,
        edition_id=fields.get("edition_id"),
        is_active=fields.get("is_active", True),
        timeout_seconds=fields.get("timeout_seconds", DEFAULT_TIMEOUT),
    )
    sandbox.data.webhooks[endpoint.id] = endpoint
    return render_webhooks.endpoint(endpoint), 201


@group.view
def webhooks_retrieve(endpoint_id: str) -> Json:
    """Return one endpoint, secret included."""
    return render_webhooks.endpoint(caller().fetch(store().data.webhooks, endpoint_id, READ))


@group.view
def webhooks_update(endpoint_id: str) -> Json:
    """Change the given fields; the organization and the secret stay."""
    endpoint = caller().fetch(store().data.webhooks, endpoint_id, WRITE)
    body = read_body("webhooks_update")
    for key, value in _check(endpoint.organization_id, body).items():
        setattr(endpoint, key, value)
    endpoint.modified = store().now()
    return render_webhooks.endpoint(endpoint)


@group.view
def webhooks_delete(endpoint_id: str) -> tuple[str, int]:
    """Delete an endpoint and its delivery history."""
    endpoint = caller().fetch(store().data.webhooks, endpoint_id, WRITE)
    tables = store().data
    del tables.webhooks[endpoint.id]
    for delivery_id in [d.id for d in tables.deliveries.values() if d.endpoint_id == endpoint.id]:
        del tables.deliveries[delivery_id]
    return "", 204


@group.view
def webhooks_list_deliveries(endpoint_id: str) -> Json:
    """List one endpoint's deliveries, newest first."""
    endpoint = caller().fetch(store().data.webhooks, endpoint_id, READ)
    values = listing.filters("webhooks_list_deliveries")
    found = [
        d
        for d in store().data.deliveries.values()
        if d.endpoint_id == endpoint.id and all(getattr(d, k) == v for k, v in values.items())
    ]
    ordered = listing.ordered("webhooks_list_deliveries", found, {"created": attrgetter("created")})
    return listing.paginate(ordered, render_webhooks.delivery)


@group.view
def webhooks_retrieve_delivery(endpoint_id: str, delivery_id: str) -> Json:
    """Return one delivery with its payload and the last reply."""
    return render_webhooks.delivery(_delivery(endpoint_id, delivery_id, READ)[1])


@group.view
def webhooks_retry_delivery(endpoint_id: str, delivery_id: str) -> Json:
    """Make one more attempt of a failed delivery, same payload and event id, and report it.

    Runs without the view lock (see ``_WebhookGroup``): check and mark the
    delivery under the lock, POST without it, record the outcome under it.
    """
    sandbox = store()
    with sandbox.lock:
        endpoint, delivery = _delivery(endpoint_id, delivery_id, WRITE)
        read_body("webhooks_retry_delivery")
        if delivery.status != "failed":
            raise conflict(f"Only a failed delivery can be retried; this one is {delivery.status}.", "invalid_state")
        if not endpoint.is_active:
            raise conflict("The endpoint is inactive; activate it to retry.", "inactive")
        delivery.status = "pending"
        delivery.modified = sandbox.now()
        job = webhook_delivery.job_for(sandbox, delivery, endpoint)
    outcome = webhook_delivery.attempt(job)
    with sandbox.lock:
        webhook_delivery.record(sandbox, job, outcome)
        return render_webhooks.delivery(get_or_404(sandbox.data.deliveries, delivery_id))


@group.view
def webhooks_rotate_secret(endpoint_id: str) -> Json:
    """Replace the signing secret; the old one stops working at once."""
    endpoint = caller().fetch(store().data.webhooks, endpoint_id, WRITE)
    read_body("webhooks_rotate_secret")
    endpoint.secret = webhook_delivery.new_secret(store())
    endpoint.modified = store().now()
    return render_webhooks.endpoint(endpoint)
