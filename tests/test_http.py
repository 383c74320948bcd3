"""The HTTP policy against a live sandbox: retries, waits, POST safety, pages, errors."""

import logging
import threading

import pandas as pd
import pytest
import requests

import preo_nb
from preo_nb import testing
from preo_nb._http import HTTP
from preo_nb._pages import _Unique
from preo_nb._pool import loads, ordered_map
from preo_nb.config import Settings


@pytest.fixture
def fast(sandbox, connect_to):
    """An admin client with short backoff so retry tests stay quick."""
    sandbox.reset()
    sandbox.faults.clear()
    yield connect_to(sandbox.url, sandbox.token, backoff_factor=0.01, page_size=100)
    sandbox.faults.clear()


def first_edition(preo):
    return preo.editions.list(ordering="created")["id"][0]


@pytest.mark.parametrize("status", [502, 503, 504])
def test_reads_are_retried_on_gateway_errors(fast, sandbox, status, caplog):
    sandbox.faults.fail_next("GET", "/v1/editions", status, times=2)
    with caplog.at_level(logging.WARNING, logger="preo_nb.http"):
        assert len(fast.editions.list()) >= 3
    waits = [r for r in caplog.records if "trying again in" in r.getMessage()]
    assert len(waits) == 2 and str(status) in waits[0].getMessage()


def test_retry_after_is_honoured_and_the_wait_is_logged(fast, sandbox, caplog):
    sandbox.faults.fail_next("GET", "/v1/auth/me", 429, headers={"Retry-After": "1"})
    with caplog.at_level(logging.WARNING, logger="preo_nb.http"):
        assert fast.auth.me()["email"]
    assert any("429" in r.getMessage() and "1.0 s" in r.getMessage() for r in caplog.records)


def test_retries_give_up_with_the_matching_error(fast, sandbox):
    sandbox.faults.fail_next("GET", "/v1/editions", 503, times=10)
    with pytest.raises(preo_nb.ServerError) as info:
        fast.editions.list()
    assert info.value.status == 503


def test_a_post_is_resent_only_after_checking_it_did_nothing(fast, sandbox, caplog):
    sandbox.faults.fail_next("POST", "/v1/refunds", 503, times=1)
    purchase = sandbox.store.find_purchase(status="paid", refundable=True)
    with caplog.at_level(logging.WARNING, logger="preo_nb.http"):
        made = fast.refunds.create(purchase["api_id"], reason="sold_out")
    assert [r["id"] for r in fast.refunds.iterate(purchase_id=purchase["api_id"])] == [made["id"]]
    messages = [r.getMessage() for r in caplog.records]
    assert any("checking whether POST /v1/refunds took effect" in m for m in messages)
    assert any("did not take effect; sending it again" in m for m in messages)


def test_a_post_without_a_way_to_check_is_not_resent(fast, sandbox):
    endpoint = fast.webhooks.list()["id"].iloc[0]
    sandbox.faults.fail_next("POST", f"/v1/webhooks/{endpoint}/rotate-secret", kind="drop")
    with pytest.raises(preo_nb.UnknownOutcome) as info:
        fast.webhooks.rotate_secret(endpoint)
    assert info.value.check == f"GET /v1/webhooks/{endpoint}"
    assert f"Check with GET /v1/webhooks/{endpoint} before trying again" in str(info.value)
    assert sandbox.faults.pending("POST", "/v1/webhooks") == 0


def test_list_reads_every_page_concurrently_in_order(fast, sandbox):
    edition = first_edition(fast)
    whole = fast.orders.list(edition_id=edition, ordering="created")
    sequential = [o["id"] for o in fast.orders.iterate(edition_id=edition, ordering="created")]
    assert whole["id"].tolist() == sequential
    assert len(whole) == fast._http.request("GET", "/v1/orders", params={"edition_id": edition})["count"]
    assert len(whole) > 100  # several pages of 100


def test_iterate_reads_lazily(fast, sandbox, monkeypatch):
    calls = []
    original = HTTP.request
    monkeypatch.setattr(HTTP, "request", lambda self, *a, **k: calls.append(a) or original(self, *a, **k))
    rows = fast.orders.iterate(edition_id=first_edition(fast))
    calls.clear()
    for _ in zip(range(3), rows, strict=False):
        pass
    assert len(calls) == 1


def test_next_links_never_leave_the_base_url():
    http = HTTP(Settings(base_url="https://api.preo.dev/prefix", token="t0k3n-value"))
    assert http.same_origin("http://evil.example:8000/prefix/v1/orders?page=2") == (
        "https://api.preo.dev/prefix/v1/orders?page=2"
    )


def test_no_threads_while_a_cassette_is_active(tmp_path):
    from preo_nb._transports.default import RequestsTransport

    transport = RequestsTransport()
    assert transport.concurrent()
    with testing.make_vcr("all").use_cassette(str(tmp_path / "c.yaml")):
        assert not transport.concurrent()  # vcrpy is not thread-safe
    assert transport.concurrent()


@pytest.mark.parametrize(
    ("role", "call", "cls", "words"),
    [
        ("admin", lambda p, sb: p.orders.retrieve("ord_doesnotexist"), preo_nb.NotFound, "Not found"),
        (
            "guest",
            lambda p, sb: p.editions.retrieve(sb.store.first_edition()["id"]),
            preo_nb.PermissionDenied,
            "permission",
        ),
        (
            "staff",
            lambda p, sb: p.refunds.approve(sb.store.find_refund(status="requested")["id"]),
            preo_nb.PermissionDenied,
            "permission",
        ),
        ("admin", lambda p, sb: p._http.request("GET", "/v1/orders"), preo_nb.BadRequest, "non_field_errors"),
        (
            "admin",
            lambda p, sb: p.refunds.approve(sb.store.find_refund(status="processed")["id"]),
            preo_nb.Conflict,
            "invalid_state",
        ),
        (
            "admin",
            lambda p, sb: p.refunds.create("pur_doesnotexist", reason="sold_out"),
            preo_nb.BadRequest,
            "purchase_id",
        ),
    ],
)
def test_server_errors_arrive_as_their_classes(sandbox, connect_to, role, call, cls, words):
    sandbox.reset()
    preo = connect_to(sandbox.url, sandbox.tokens[role])
    with pytest.raises(cls) as info:
        call(preo, sandbox)
    text = str(info.value)
    assert words.lower() in text.lower()
    assert info.value.request_id and info.value.request_id in text
    assert sandbox.tokens[role] not in text and sandbox.tokens[role] not in repr(info.value.__dict__)


def test_a_wrong_token_is_an_authentication_error(sandbox, connect_to):
    with pytest.raises(preo_nb.AuthenticationError) as info:
        connect_to(sandbox.url, "sbx_wrong_token_value_123456").auth.me()
    assert info.value.status == 401 and "sbx_wrong" not in str(info.value)


def test_a_netrc_entry_for_the_host_does_not_replace_the_token(sandbox, connect_to, tmp_path, monkeypatch):
    """requests would send ~/.netrc's Basic credentials instead of the bearer token: a 401 blaming the token."""
    netrc = tmp_path / "netrc"
    netrc.write_text("machine 127.0.0.1\nlogin someone\npassword elsewhere\n")
    netrc.chmod(0o600)
    monkeypatch.setenv("NETRC", str(netrc))
    assert requests.Session().get(f"{sandbox.url}/v1/editions").status_code == 401  # what requests alone does
    assert len(connect_to(sandbox.url, sandbox.token, sockets=True).editions.list()) > 0


def test_debug_log_masks_the_token(sandbox, connect_to, caplog):
    with caplog.at_level(logging.DEBUG):
        connect_to(sandbox.url, sandbox.token).auth.me()
    text = "\n".join(r.getMessage() for r in caplog.records)
    assert "Bearer ***" in text and sandbox.token not in text


def test_page_workers_are_a_connect_argument(sandbox):
    preo = preo_nb.connect(base_url=sandbox.url, token=sandbox.token, env_file=False, page_workers=2)
    assert preo.settings.page_workers == 2
    assert preo_nb.connect(base_url=sandbox.url, token=sandbox.token, env_file=False).settings.page_workers == 8
    for wrong in (0, 33, 2.5, True):
        with pytest.raises(preo_nb.ConfigurationError, match="page_workers"):
            preo_nb.connect(base_url=sandbox.url, token=sandbox.token, env_file=False, page_workers=wrong)


def test_every_worker_count_reads_the_same_list(sandbox, connect_to):
    edition = sandbox.store.busiest_edition()["id"]
    one = connect_to(sandbox.url, sandbox.token, page_size=100, page_workers=1).orders.list(edition_id=edition)
    many = connect_to(sandbox.url, sandbox.token, page_size=100, page_workers=5).orders.list(edition_id=edition)
    pd.testing.assert_frame_equal(one, many)
    assert len(one) > 500


def test_pages_are_read_at_most_a_window_ahead_of_the_reader():
    """A long list is never all in memory: unread pages wait until the reader catches up."""
    started = []
    results = ordered_map(lambda n: started.append(n) or n, range(1000), workers=4, window=6)
    assert [next(results), next(results)] == [0, 1]
    results.close()  # the reader stops: pages not started are cancelled
    assert len(started) <= 6 + 2 and sorted(started) == list(range(len(started)))


def test_the_window_is_asked_again_each_time_the_reader_takes_a_page():
    """A read holds more pages ahead while they come light (Arrow) and fewer once they come as dicts."""
    pulled, size = [], [12]
    results = ordered_map(lambda n: n, (pulled.append(n) or n for n in range(1000)), workers=4, window=lambda: size[0])
    assert next(results) == 0 and len(pulled) == 13  # twelve ahead, and one more once the first was taken
    size[0] = 3  # heavier pages: at most the four workers' worth ahead
    assert [next(results) for _ in range(8)] == list(range(1, 9)) and len(pulled) == 13  # none sent while 4+ wait
    assert next(results) == 9 and len(pulled) == 14


def test_one_worker_reads_in_the_callers_thread():
    """What a cassette needs: vcrpy is not thread-safe."""
    threads = list(ordered_map(lambda _: threading.current_thread(), range(3), workers=1, window=4))
    assert threads == [threading.current_thread()] * 3


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (b'{"count": 2, "results": []}', {"count": 2, "results": []}),
        ('{"name": "Ærø"}'.encode("utf-16"), {"name": "Ærø"}),  # not UTF-8: the standard library reads it
    ],
)
def test_json_bodies_decode_with_or_without_orjson(body, expected):
    assert loads(body) == expected


def test_a_cut_off_body_is_not_json():
    with pytest.raises(ValueError):
        loads(b'{"count": 2, "resu')


def test_records_seen_on_an_earlier_page_are_dropped(caplog):
    unique = _Unique()
    first = unique([{"id": "a"}, {"id": "b"}])
    second = unique([{"id": "b"}, {"id": "c"}, {"api_id": None}, {"api_id": None}])
    assert [r.get("id") for r in first + second] == ["a", "b", "c", None, None]
    assert unique.kept == 5
