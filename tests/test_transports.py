"""The transport seam: the in-process WSGI transport keeps the client's semantics; the retry policy is a value."""

import logging
import time
from datetime import UTC, datetime

import pytest
import requests

import preo_nb
from preo_nb import RetryPolicy
from preo_nb._transports import NoAnswer, Request
from preo_nb._transports.wsgi import WSGITransport
from preo_nb.errors import UnexpectedRedirect
from preo_nb.sandbox import running


@pytest.fixture(scope="module")
def in_process():
    """A sandbox with no server at all: only its in-process transport reaches it."""
    with running(seed=1, scale="tiny", in_process=True) as sb:
        yield sb


@pytest.fixture
def sb(in_process):
    in_process.reset()
    yield in_process
    in_process.faults.clear()


def test_an_in_process_sandbox_answers_without_a_socket(sb, monkeypatch):
    over_sockets = []
    monkeypatch.setattr(requests.adapters.HTTPAdapter, "send", lambda *a, **k: over_sockets.append(a) or 1 / 0)
    preo = sb.connect(page_size=20)
    edition = sb.store.busiest_edition()["id"]
    orders = preo.orders.list(edition_id=edition)
    assert len(orders) > 20 and orders["id"].is_unique  # several pages, read concurrently
    assert preo.orders.retrieve(orders["id"][0])["id"] == orders["id"][0]
    assert over_sockets == []  # requests never saw a request


def test_the_server_time_travels_with_the_answer(sb):
    sb.store.clock.freeze(datetime(2026, 9, 3, 10, 30, tzinfo=UTC))
    reply = sb.connect()._http.request("GET", "/v1/auth/me", raw=True)
    assert reply.status == 200 and reply.json()["email"]
    assert reply.server_time == datetime(2026, 9, 3, 10, 30, tzinfo=UTC)


def test_a_dropped_answer_in_process_is_a_lost_answer(sb, caplog):
    """The sandbox's drop fault (committed, then hung up) reaches the client as over a socket."""
    preo = sb.connect(retry=RetryPolicy(backoff_factor=0.01))
    purchase = sb.store.find_purchase(org=1, status="paid", refundable=True)["api_id"]
    sb.faults.fail_next("POST", f"/v1/purchases/{purchase}/refund", kind="drop")
    with caplog.at_level(logging.WARNING, logger="preo_nb.http"):
        refund = preo.purchases.refund(purchase, reason="event_cancelled")
    assert preo.refunds.list(purchase_id=purchase)["id"].tolist() == [refund["id"]]
    assert any("had taken effect; using its result" in r.getMessage() for r in caplog.records)


def test_the_wsgi_transport_keeps_the_deadline_and_the_size_bound(sb):
    http = sb.connect()._http
    late = http.prepare("GET", "/v1/auth/me")
    sb.faults.fail_next("GET", "/v1/auth/me", kind="latency", seconds=0.3)
    with pytest.raises(NoAnswer, match="did not answer in time"):
        sb.transport.send(Request(late.method, late.url, late.headers, deadline=time.monotonic() + 0.1))
    with pytest.raises(preo_nb.AnswerTooLarge):
        sb.transport.send(Request(late.method, late.url, late.headers, max_bytes=10))


def redirecting(environ, start_response):
    """A WSGI app that moves ``/v1/auth/me`` to ``/v1/auth/me/``."""
    if environ["PATH_INFO"] == "/v1/auth/me":
        start_response("301 Moved Permanently", [("Location", "/v1/auth/me/"), ("Content-Length", "0")])
        return [b""]
    body = b'{"email": "staff@example.org"}'
    start_response("200 OK", [("Content-Type", "application/json"), ("Content-Length", str(len(body)))])
    return [body]


def test_the_redirect_layer_over_a_transport_that_hands_redirects_back(caplog):
    transport = WSGITransport(redirecting)
    preo = preo_nb.connect(base_url="http://127.0.0.1:9", token="t0k3n-value", env_file=False, transport=transport)
    assert transport.send(preo._http.prepare("GET", "/v1/auth/me")).status == 301  # not followed below
    with caplog.at_level(logging.WARNING, logger="preo_nb.http"):
        assert preo.auth.me() == {"email": "staff@example.org"}  # a read, same origin: followed
    assert any("trailing_slash=True" in r.getMessage() for r in caplog.records)
    with pytest.raises(UnexpectedRedirect, match="a write is never sent on"):
        preo._http.request("POST", "/v1/auth/me", json={})


def test_the_retry_policy_is_a_connect_argument(sb):
    sb.faults.fail_next("GET", "/v1/auth/me", 503, times=1)
    with pytest.raises(preo_nb.ServerError):
        sb.connect(retry=RetryPolicy(max_retries=0)).auth.me()  # never sent again
    sb.faults.fail_next("GET", "/v1/auth/me", 503, times=1)
    assert sb.connect(retry=RetryPolicy(backoff_factor=0.01)).auth.me()["email"]  # sent again
    assert sb.faults.pending("GET", "/v1/auth/me") == 0
