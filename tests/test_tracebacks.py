"""Short tracebacks: few preo_nb frames between a notebook cell and ``requests``.

STYLE.md asks for short tracebacks; this is the number that holds it: at most
``BUDGET`` preo_nb frames from a list/retrieve/refund call to ``requests``. The shared limiter
(issue 19) first cost a frame (``_pages.get``, waiting for a slot and outlasting throttling);
the slot and that patience now live inline in ``HTTP.request``, and the budget is 6 again.
"""

import traceback
from pathlib import Path

import pytest
import requests

import preo_nb

BUDGET = 6
PACKAGE = str(Path(preo_nb.__file__).parent)


@pytest.fixture
def stacks(monkeypatch):
    """The preo_nb frames on the stack at each request, as (module, function) pairs."""
    seen = []
    original = requests.Session.request

    def spy(self, *args, **kwargs):
        frames = [f for f in traceback.extract_stack() if f.filename.startswith(PACKAGE)]
        seen.append([(Path(f.filename).name, f.name) for f in frames])
        return original(self, *args, **kwargs)

    monkeypatch.setattr(requests.Session, "request", spy)
    return seen


@pytest.mark.parametrize(
    "call",
    [
        lambda preo, sb: preo.orders.list(edition_id=sb.store.busiest_edition()["id"]),
        lambda preo, sb: preo.refunds.retrieve(sb.store.find_refund(status="requested")["id"]),
        lambda preo, sb: preo.purchases.refund(
            sb.store.find_purchase(status="paid", refundable=True)["api_id"], reason="sold_out"
        ),
    ],
)
def test_at_most_six_library_frames_between_a_call_and_requests(sandbox, connect_to, stacks, call):
    sandbox.reset()
    preo = connect_to(sandbox.url, sandbox.token, sockets=True)  # requests is the transport measured to
    stacks.clear()
    call(preo, sandbox)
    deepest = max(stacks, key=len)
    assert len(deepest) <= BUDGET, deepest
