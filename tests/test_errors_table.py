"""Runs every row of docs/errors.md: the bad input, the error it raises, the words it says."""

import re
from pathlib import Path

import pytest
import requests

import preo_nb
from preo_nb import bulk
from preo_nb._transports.wsgi import WSGITransport

TABLE = Path(__file__).resolve().parents[1] / "docs" / "errors.md"


def rows():
    found = []
    for line in TABLE.read_text(encoding="utf-8").splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) == 6 and cells[0].isdigit():
            number, what, where, call, outcome, says = cells
            found.append(pytest.param(where, call.strip("`"), outcome, says.strip("`"), id=f"{number} {what}"))
    return found


def test_the_table_has_at_least_30_bad_inputs():
    assert len(rows()) >= 30
    assert [p.id.split()[0] for p in rows()] == [str(n) for n in range(1, len(rows()) + 1)]


@pytest.fixture(scope="module")
def seeded(sandbox):
    """Seeded objects the calls name (the same after every reset: the seed decides them)."""
    sandbox.reset()
    return {
        "E": sandbox.store.busiest_edition()["id"],
        "ORG": sandbox.store.org_id(1),
        "P": sandbox.store.find_purchase(org=1, status="paid", refundable=True)["api_id"],
        "R": sandbox.store.find_refund(org=1, status="requested")["id"],
    }


@pytest.fixture
def scope(sandbox, seeded, connect_to, tmp_path, monkeypatch, request):
    """The names the table's calls use, on the seeded sandbox (put back before a row the server answers;
    a client row sends nothing, which the test checks, so it changes nothing there)."""
    if request.node.callspec.params["where"] != "client":
        sandbox.reset()
    monkeypatch.chdir(tmp_path)

    def write(name, data):
        path = tmp_path / name
        path.write_bytes(data) if isinstance(data, bytes) else path.write_text(data)
        return path

    return {
        "preo_nb": preo_nb,
        "bulk": bulk,
        "preo": connect_to(sandbox.url, sandbox.token, backoff_factor=0.01),
        **seeded,
        "URL": sandbox.url,
        "env_file": lambda text: write(".env", text),
        "tmp": write,
        "MB": 1024 * 1024,
    }


@pytest.mark.parametrize(("where", "call", "outcome", "says"), rows())
def test_bad_input(scope, monkeypatch, where, call, outcome, says):
    sent = []
    if where == "client":  # requests' adapter, and the sandbox's in-process transport the table's `preo` uses
        for transport in (requests.adapters.HTTPAdapter, WSGITransport):
            original = transport.send
            monkeypatch.setattr(
                transport,
                "send",
                lambda self, request, _send=original, **kw: sent.append(request) or _send(self, request, **kw),
            )
    if outcome == "returns":
        result = eval(call, scope)
        assert eval(says, {**scope, "result": result}), result
    else:
        with pytest.raises(getattr(preo_nb, outcome)) as info:
            eval(call, scope)
        assert says in str(info.value)
        assert re.search(r"sbx_\w{12,}", str(info.value)) is None
    assert sent == [], "a request left the client"
