"""``preo-nb check-contract``: passes against the sandbox, names each difference of a drifted one."""

from __future__ import annotations

import json
import pathlib
import subprocess
import sys
import textwrap

import pytest

import preo_nb
from preo_nb import cli, contract, probe, testing
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
    "limit_offset": ("pagination.style.refunds_list", "limit/offset"),
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
    carried = names["lists.orders_carry_purchases"]  # the sandbox's list items carry no purchases
    assert carried["source"] == "inferred" and "reads one order detail per order" in carried["detail"]
    assert names["auth.scheme"]["source"] == "inferred" and names["writes.purchases_refund"]["source"] == "seed"
    assert found["summary"]["PASS"] >= 60 and "against " + sb.url in printed
    assert sb.token not in printed and sb.token not in report.read_text()
    counts = found["summary"]
    said = f"{counts['PASS']} pass, {counts['FAIL']} fail, {counts['UNKNOWN']} unknown"
    readme = " ".join((pathlib.Path(__file__).parents[2] / "README.md").read_text(encoding="utf-8").split())
    assert f"`{said} against" in readme, f"README quotes another summary for a fresh sandbox than {said!r}"
    for name in ("errors.not_found", "errors.bad_filter", "errors.duplicate_refund"):
        assert names[name]["result"] == "PASS", names[name]
    lists = [op for op in contract.operations().values() if op.is_paginated and op.method == "GET"]
    for op in lists:
        assert f"pagination.style.{op.operation_id}" in names or not contract.filters(op.operation_id)
        for rule in contract.filters(op.operation_id):  # every filter of every list has a line
            assert f"filters.{op.operation_id}.{rule}" in names, rule
    filters = [f for f in found["findings"] if f["name"].startswith("filters.")]
    assert len(filters) == sum(len(contract.filters(op.operation_id)) for op in lists if "{" not in op.path) + 2
    assert not any(f["result"] == "PASS" and "count 0 " in f["detail"] for f in filters)  # never on an empty answer
    assert found["summary"]["UNKNOWN"] < 9  # probes choose values that make each filter selective
    assert printed.rstrip().endswith("no auth scheme accepted the token).") and "UNKNOWN: the data" in printed


@pytest.mark.parametrize("variant", DIFFERENCES)
def test_each_drift_is_named(sb, variant):
    name, words = DIFFERENCES[variant]
    with drift.running(sb.url, drift.VARIANTS[variant]) as proxy:
        preo = preo_nb.connect(base_url=proxy.url, token=sb.token, env_file=False)
        report = probe.run(preo)
    failed = {f.name: f for f in report.failed()}
    assert name in failed, report.table()
    assert words in failed[name].detail, failed[name]
    if variant == "string_money":  # a page of orders breaks the schema thousands of times: 20 an answer are named
        count, example = failed["bodies.orders_list"].detail.split(" problem(s), e.g. ")
        assert count.endswith("+") and int(count[:-1]) >= 20 and example.startswith("orders_list 200: at results/0/")
    # what it learnt (a scheme, trailing slashes) stayed in its own view: 7cf4271 changed the client's
    assert (preo._http.settings.trailing_slash, preo._http.settings.auth_scheme) == (False, "Bearer")
    assert preo._http.prepare("GET", "/v1/auth/me").url == proxy.url + "/v1/auth/me"


def test_a_server_that_insists_on_accept_is_noted_but_the_client_complies(sb):
    with drift.running(sb.url, drift.VARIANTS["strict_accept"]) as proxy:
        report = probe.run(preo_nb.connect(base_url=proxy.url, token=sb.token, env_file=False))
    media = next(f for f in report.findings if f.name == "media.segments_export_csv")
    assert media.result == "PASS" and "406" in media.detail


def test_a_server_whose_orders_list_carries_the_purchases_is_told_so(sb, lists_carry_purchases):
    lists_carry_purchases()
    report = probe.run(preo_nb.connect(base_url=sb.url, token=sb.token, env_file=False))
    carried = next(f for f in report.findings if f.name == "lists.orders_carry_purchases")
    assert carried.result == "PASS" and "reads them from the list" in carried.detail


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


def test_a_stock_drf_server_has_each_difference_named_with_its_fix(sb, capsys, monkeypatch):
    with drift.running(sb.url, drift.VARIANTS["drf_defaults"]) as proxy:
        monkeypatch.setenv("PREO_API_TOKEN", sb.token)
        code = cli.main(["check-contract", "--base-url", proxy.url, "--writes"])
    printed = capsys.readouterr().out
    failed = {line.split()[2]: line for line in printed.splitlines() if line.startswith("FAIL ")}
    assert code == 1
    for name in drift.DJANGO_FILTER_UNKNOWN:
        assert "is ignored" in failed[f"filters.orders_list.{name}"]
    assert "limit/offset" in failed["pagination.style.refunds_list"]
    assert "answered 400 {non_field_errors}" in failed["errors.duplicate_refund"]
    for name in ("auth.scheme", "paths.trailing_slash", "types.money", "types.ids"):
        assert name in failed
    fixes = printed.split("To work with what FAILed:")[1]
    assert all(f"  {name}: " in fixes for name in failed)
    assert "PREO_AUTH_SCHEME=Token" in fixes and "PREO_TRAILING_SLASH=true" in fixes
    for name in ("edition_id", "purchase_id", "status", "reason", "scope", "organization_id"):
        assert f"filters.refunds_list.{name}" not in failed


def test_a_token_no_scheme_accepts_is_could_not_check_not_success(sb, capsys, monkeypatch):
    monkeypatch.setenv("PREO_API_TOKEN", "not-a-token-this-server-knows")
    assert cli.main(["check-contract", "--base-url", sb.url]) == 2
    assert "incomplete" in capsys.readouterr().out
    monkeypatch.delenv("PREO_API_TOKEN")
    assert cli.main(["check-contract", "--base-url", sb.url, "--port", "8000"]) == 2


def test_help_explains_results_source_exit_codes_token_and_sandbox_only_options(capsys):
    with pytest.raises(SystemExit):
        cli.main(["check-contract", "--help"])
    text = " ".join(capsys.readouterr().out.split())
    for words in ("PASS the server does", "FAIL it does something else", "UNKNOWN the data", "SOURCE says"):
        assert words in text
    assert "exit status: 0 no FAIL" in text and "2 could not check" in text and "PREO_API_TOKEN" in text
    assert "--port, --seed and --scale apply only with --sandbox" in text
