"""One scan for credentials everywhere they could leak: errors, logs, cassettes, notebooks."""

import json
import logging
import threading
from pathlib import Path

import pytest
import requests

import preo_nb
from preo_nb import runner, signing, testing
from preo_nb._secret import Secret

ROOT = Path(__file__).resolve().parents[2]
WRONG_TOKEN = "sbx_" + "wrong" * 6  # built, so the test's own source never shows it whole


def failures(sandbox, preo, connect_to):
    """Make every kind of error the client raises, with real tokens in play."""
    yield connect_to(sandbox.url, WRONG_TOKEN).auth.me  # 401
    yield lambda: connect_to(sandbox.url, sandbox.tokens["guest"]).editions.retrieve(
        sandbox.store.first_edition()["id"]
    )  # 403
    yield lambda: preo.orders.retrieve("ord_missing")  # 404
    yield lambda: preo.refunds.approve(sandbox.store.find_refund(status="processed")["id"])  # 409
    yield lambda: preo.refunds.create("pur_missing", reason="sold_out")  # 400
    yield connect_to("http://127.0.0.1:9", sandbox.token, max_retries=0).auth.me  # transport
    yield lambda: preo_nb.connect(base_url="http://evil.example", token=sandbox.token)  # configuration

    def lost_rotation():
        endpoint = preo.webhooks.list()["id"].iloc[0]
        sandbox.faults.fail_next("POST", f"/v1/webhooks/{endpoint}/rotate-secret", kind="drop")
        preo.webhooks.rotate_secret(endpoint)

    yield lost_rotation  # unknown outcome


def test_no_secret_anywhere(sandbox, connect_to, caplog, tmp_path):
    sandbox.reset()
    preo = connect_to(sandbox.url, sandbox.token, backoff_factor=0.01)
    secrets = (WRONG_TOKEN, *sandbox.tokens.values(), *tuple(e["secret"].reveal() for e in preo.webhooks.iterate()))
    texts = {}

    with caplog.at_level(logging.DEBUG):
        for n, fail in enumerate(failures(sandbox, preo, connect_to)):
            with pytest.raises(preo_nb.PreoError) as info:
                fail()
            texts[f"error {n} ({type(info.value).__name__})"] = "\n".join(
                [str(info.value), repr(info.value), repr(vars(info.value)), str(info.getrepr())]
            )
        endpoint = preo.webhooks.retrieve(preo.webhooks.list()["id"].iloc[0])
        texts["a retrieved endpoint"] = f"{endpoint} {endpoint!r} {preo.webhooks.list()!r}"
        texts["the client"] = f"{preo!r} {preo.settings!r} {preo._http!r}"
    texts["log lines"] = "\n".join(r.getMessage() for r in caplog.records)
    assert "Bearer ***" in texts["log lines"]

    for path in [*ROOT.joinpath("cassettes").rglob("*.yaml"), *ROOT.joinpath("preo_nb", "notebooks").glob("*.ipynb")]:
        texts[str(path.relative_to(ROOT))] = path.read_text(encoding="utf-8")
    executed = tmp_path / "orders_report.ipynb"
    with runner.environment(
        {"PREO_BASE_URL": sandbox.url, "PREO_API_TOKEN": sandbox.token, testing.CASSETTE_ENV: None}
    ):
        edition = sandbox.store.busiest_edition()["id"]
        runner.run_notebook(
            ROOT / "preo_nb" / "notebooks" / "orders_report.ipynb",
            executed,
            {"edition_id": edition, "since": "2026-08-31"},
        )
    texts["executed notebook and its papermill metadata"] = executed.read_text(encoding="utf-8")

    leaks = {where: found for where, text in texts.items() if (found := testing.find_secrets(text, secrets))}
    assert leaks == {}
    assert len(texts) > 40


def test_a_secret_masks_itself_but_still_works():
    secret = Secret("whsec_" + "0f" * 16)
    shown = [repr(secret), str(secret), f"{secret}", repr({"secret": secret}), "%s %r" % (secret, secret)]  # noqa: UP031 - the % operator is what is tested
    shown += [f"{secret} {secret:>20}", json.dumps({"secret": secret}, default=str)]
    assert all("0f0f" not in text for text in shown) and "whsec_***" in shown[0]
    for leak in (lambda: "X=" + secret, lambda: secret + "X", lambda: json.dumps({"secret": secret})):
        with pytest.raises(TypeError):  # 7cf4271 (a str subclass) handed over its value
            leak()
    assert secret.reveal() == "whsec_" + "0f" * 16 and secret == Secret(secret.reveal())
    header = signing.sign(secret, b"{}", timestamp=1)
    assert signing.verify(secret, header, b"{}", now=1) == signing.verify(secret.reveal(), header, b"{}", now=1)


ODD_SECRET = "whsec_MfKQ9r5X" + "Zq8Lw2Vn7Tb4Hc1Jd6Ky3P"  # another format than 32 hex digits


def test_a_webhook_secret_of_any_shape_is_kept_out_of_a_recorded_cassette(tmp_path):
    from werkzeug.serving import make_server
    from werkzeug.wrappers import Response

    answer = json.dumps({"id": "whk_0001", "secret": ODD_SECRET, "signing_secret": "plain-words-secret-9"})
    server = make_server("127.0.0.1", 0, Response(answer, content_type="application/json"))
    threading.Thread(target=server.handle_request, daemon=True).start()
    cassette = tmp_path / "odd.yaml"
    with testing.make_vcr("all").use_cassette(str(cassette)):
        got = requests.get(f"http://127.0.0.1:{server.server_port}/v1/webhooks/whk_0001", timeout=5).json()
    server.server_close()
    assert got["secret"] == ODD_SECRET  # the caller saw the real answer
    recorded = cassette.read_text()
    assert ODD_SECRET not in recorded and "plain-words-secret-9" not in recorded  # 7cf4271 recorded both
    assert "whk_0001" in recorded and testing.find_secrets(recorded) == []
    assert testing.find_secrets(answer) != []  # and the scan flags them where they were not redacted
