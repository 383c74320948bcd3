"""A hostile server: trickled answers, endless pages, a 1 GiB answer, a redirect off the host.

The client and ``check-contract`` must end within the bounds docs/limits.md documents:
one deadline per try (``timeout``), ``max_pages`` beyond a list's count, ``max_answer_bytes``
per answer, and the probe's ``Budget``. On 7cf4271 each of these ran for minutes (or was
killed for memory).
"""

from __future__ import annotations

import json
import subprocess
import sys
import time

import pytest

import preo_nb
from preo_nb import probe
from preo_nb.probe.budget import Budget
from preo_nb.sandbox import hostile

TOKEN = "sbx_" + "h" * 32


@pytest.fixture(scope="module")
def server():
    with hostile.hostile(trickle_interval=0.25) as running:
        yield running


def client(server, kind, **settings):
    return preo_nb.connect(base_url=server.url(kind), token=TOKEN, env_file=False, **settings)


def test_a_trickled_answer_ends_at_the_deadline_of_each_try(server, connect_to):
    preo = connect_to(server.url("trickle"), TOKEN, timeout=1.0, max_retries=1, backoff_factor=0.01)
    started = time.monotonic()
    with pytest.raises(preo_nb.TransportError, match="did not answer in time"):
        preo.editions.list()  # a 90-byte answer at 4 bytes a second
    assert time.monotonic() - started < 4, "two tries of 1 s each (7cf4271: 23 s, the whole trickle)"


def test_endless_pages_end_in_an_incomplete_list_that_says_what_was_read(server):
    before = server.requests
    with pytest.raises(preo_nb.errors.IncompleteList) as info:
        client(server, "endless", max_pages=20, page_size=50).editions.list()
    assert "went on past 20 pages (it gave no count); 20 pages and 1000 records were read" in str(info.value)
    assert info.value.received == 1000 and server.requests - before == 20


@pytest.mark.parametrize("kind", ["huge", "huge_declared"])
def test_a_huge_answer_is_refused_unread(server, kind):
    with pytest.raises(preo_nb.AnswerTooLarge, match=r"larger than max_answer_bytes \(67,108,864 bytes\)"):
        client(server, kind).auth.me()


MEASURE = """
import json, resource, sys
import preo_nb
from preo_nb import probe
found = {}
try:
    preo_nb.connect(base_url=sys.argv[1], token=sys.argv[3], env_file=False).auth.me()
except preo_nb.PreoError as exc:
    found["me"] = type(exc).__name__
report = probe.run(preo_nb.connect(base_url=sys.argv[2], token=sys.argv[3], env_file=False))
found["failed"] = sorted(f.name for f in report.failed())
found["peak_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps(found))
"""


def test_a_1_gib_answer_keeps_the_client_and_check_contract_under_300_mb(server):
    """``auth.me()`` on a 1 GiB answer, then check-contract with every list 1 GiB, in a process of their own."""
    done = subprocess.run(
        [sys.executable, "-c", MEASURE, server.url("huge"), server.url("huge_lists"), TOKEN],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    found = json.loads(done.stdout.splitlines()[-1])
    assert found["me"] == "AnswerTooLarge"
    assert "answers.orders_list" in found["failed"] and "answers.editions_list" in found["failed"]
    assert found["peak_mb"] < 300, f"peak RSS {found['peak_mb']:.0f} MB (7cf4271: killed for memory)"


def test_check_contract_stops_at_its_budget_against_a_trickling_server(server):
    preo = client(server, "trickle", timeout=0.5)
    started = time.monotonic()
    report = probe.run(preo, budget=Budget(seconds=2))
    assert time.monotonic() - started < 6, "2 s of budget, then at most one 0.5 s try"
    spent = [f for f in report.findings if f.name == "probe.budget"]
    assert spent and spent[0].result == "UNKNOWN" and "the budget is 2000 requests and 2 s" in spent[0].detail
    assert any(f.name == "answers.editions_list" and "did not answer in time" in f.detail for f in report.failed())


def test_check_contract_bounds_its_read_of_an_endless_list(server):
    before = server.requests
    report = probe.run(client(server, "endless"), budget=Budget(pages=10))
    links = next(f for f in report.findings if f.name == "pagination.next_links")
    assert links.result == "FAIL" and "went on past 10 pages (it gave no count)" in links.detail
    assert server.requests - before < 200  # 7cf4271: 1,351 requests and still following


def test_check_contract_names_the_host_a_redirect_leads_to(server):
    report = probe.run(client(server, "redirect"))
    redirected = [f for f in report.failed() if f.name.startswith("redirects.")]
    assert redirected and all("to another host, elsewhere.example" in f.detail for f in redirected)
    assert len({f.name for f in redirected}) == len(redirected)  # one finding per path
