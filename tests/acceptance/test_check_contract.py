"""``preo-nb check-contract``: passes against the sandbox, names each difference of a drifted one."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

import pytest

import preo_nb
from preo_nb import cli, probe, testing
from preo_nb.sandbox import drift

# variant -> the finding that must FAIL, and words its detail must hold
DIFFERENCES = {
    "ignored_filters": ("filters.refunds_list.edition_id", "is ignored"),
    "string_money": ("types.money", "not JSON numbers"),
    "integer_ids": ("types.ids", "not strings"),
    "small_pages": ("pagination.page_size", "caps pages at 25"),
    "no_count": ("pagination.envelope", "no count"),
    "plain_array": ("pagination.envelope", "bare JSON array"),
    "cursor_links": ("pagination.next_links", "not page numbers"),
    "endless_links": ("pagination.next_links", "links to yet another page"),
    "wrong_count": ("pagination.next_links", "reported 503 records but 500"),
    "trailing_slash": ("paths.trailing_slash", "trailing_slash=True"),
    "token_auth": ("auth.scheme", "auth_scheme='Token'"),
    "bad_datetimes": ("types.datetimes", "not ISO 8601 datetimes"),
    "missing_fields": ("fields.present", "created"),
    "unknown_fields": ("fields.unknown", "x_undocumented"),
}


@pytest.fixture
def sb(sandbox):
    sandbox.reset()
    return sandbox


def test_the_sandbox_passes_every_check_it_can_make(sb, tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("PREO_API_TOKEN", sb.token)  # the token comes from the usual places, never an argument
    report = tmp_path / "report.json"
    code = cli.main(["check-contract", "--base-url", sb.url, "--writes", "--report", str(report)])
    printed = capsys.readouterr().out
    found = json.loads(report.read_text())
    failed = [f for f in found["findings"] if f["result"] == "FAIL"]
    assert code == 0 and failed == [], failed
    names = {f["name"]: f for f in found["findings"]}
    for name in (
        "auth.scheme",
        "paths.trailing_slash",
        "pagination.envelope",
        "pagination.next_links",
        "filters.refunds_list.purchase_id",
        "types.money",
        "types.ids",
        "types.enums",
        "types.datetimes",
        "fields.present",
        "fields.unknown",
        "media.segments_export_csv",
        "writes.purchases_refund",
        "bodies.refunds_list",
    ):
        assert names[name]["result"] == "PASS", names[name]
    assert names["auth.scheme"]["source"] == "inferred" and names["writes.purchases_refund"]["source"] == "seed"
    assert found["summary"]["PASS"] >= 60 and "against " + sb.url in printed
    assert sb.token not in printed and sb.token not in report.read_text()


@pytest.mark.parametrize("variant", DIFFERENCES)
def test_each_drift_is_named(sb, variant):
    name, words = DIFFERENCES[variant]
    with drift.running(sb.url, drift.VARIANTS[variant]) as proxy:
        preo = preo_nb.connect(base_url=proxy.url, token=sb.token, env_file=False)
        report = probe.run(preo)
    failed = {f.name: f for f in report.failed()}
    assert name in failed, report.table()
    assert words in failed[name].detail, failed[name]
    # what it learnt (a scheme, trailing slashes) stayed in its own view: 7cf4271 changed the client's
    assert (preo._http.settings.trailing_slash, preo._http.settings.auth_scheme) == (False, "Bearer")
    assert preo._http.prepare("GET", "/v1/auth/me").url == proxy.url + "/v1/auth/me"


def test_a_server_that_insists_on_accept_is_noted_but_the_client_complies(sb):
    with drift.running(sb.url, drift.VARIANTS["strict_accept"]) as proxy:
        report = probe.run(preo_nb.connect(base_url=proxy.url, token=sb.token, env_file=False))
    media = next(f for f in report.findings if f.name == "media.segments_export_csv")
    assert media.result == "PASS" and "406" in media.detail


def test_writes_are_refused_off_this_machine():
    preo = preo_nb.connect(base_url="https://api.preo.dev", token="not-a-real-token-value", env_file=False)
    with pytest.raises(preo_nb.PreoValidationError, match="sandbox"):
        probe.run(preo, writes=True)


def test_what_it_saw_is_a_cassette_that_replays_to_the_same_findings(sb, tmp_path):
    cassette = tmp_path / "probe.yaml"
    live = probe.run_recorded(preo_nb.connect(base_url=sb.url, token=sb.token, env_file=False), cassette)
    text = cassette.read_text()
    assert sb.token not in text and testing.find_secrets(text) == []
    with testing.make_vcr("none").use_cassette(str(cassette)):
        replayed = probe.run(preo_nb.connect(base_url="http://127.0.0.1:9", token=testing.REPLAY_TOKEN, env_file=False))
    assert [(f.name, f.result) for f in replayed.findings] == [(f.name, f.result) for f in live.findings]


def test_the_check_needs_only_the_core_install(sb, tmp_path):
    """No Flask, Werkzeug, Faker or jsonschema plugins of the sandbox: the core install is enough."""
    script = textwrap.dedent(f"""
        import sys
        for name in ("flask", "werkzeug", "faker"):
            sys.modules[name] = None
        from preo_nb import cli
        sys.exit(cli.main(["check-contract", "--base-url", {sb.url!r}, "--report", {str(tmp_path / "r.json")!r}]))
    """)
    env = {"PREO_API_TOKEN": sb.token, "PATH": "/usr/bin:/bin", "HOME": str(tmp_path)}
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, env=env, timeout=120, cwd=tmp_path
    )
    assert done.returncode == 0, done.stderr[-2000:] + done.stdout[-2000:]
    assert json.loads((tmp_path / "r.json").read_text())["summary"]["FAIL"] == 0
