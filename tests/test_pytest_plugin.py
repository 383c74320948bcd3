"""The preo_sandbox and preo_client fixtures, as a user's own test suite sees them (run with pytester)."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

pytest_plugins = ["pytester"]

USER_TESTS = """
def test_a_seeded_sandbox_and_a_client_in_one_line(preo_sandbox, preo_client):
    assert {org["role"] for org in preo_client.auth.me()["organizations"]} == {"admin"}
    purchase = preo_sandbox.store.find_purchase(status="paid", refundable=True)
    filed = preo_client.purchases.refund(purchase["api_id"], reason="customer_request")
    assert filed["status"] == "requested"


def test_each_test_starts_from_the_seeded_state(preo_sandbox, preo_client):
    purchase = preo_sandbox.store.find_purchase(status="paid", refundable=True)
    assert preo_sandbox.store.is_refundable(purchase["api_id"])  # the refund filed above is gone
    assert not preo_sandbox.faults.state()["fail_next"]


def test_the_seed_and_scale_come_from_the_ini(preo_sandbox):
    assert len(preo_sandbox.store.data.orders) == 200  # tiny
"""


def test_a_users_tests_get_a_seeded_sandbox_and_a_connected_client(pytester: pytest.Pytester) -> None:
    pytester.makeini("[pytest]\npreo_sandbox_scale = tiny\n")
    pytester.makepyfile(test_mine=USER_TESTS)
    # In this process: the plugin is the one pytest loaded from the entry point (the subprocess
    # below shows it loads alone); the fixtures' sandbox is a new one, seeded from the ini.
    result = pytester.runpytest_inprocess("-p", "no:randomly", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=3)


def test_without_the_sandbox_extra_the_fixture_fails_with_the_pip_command(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    pytester.makeconftest("import sys\nsys.modules['flask'] = None  # as if the sandbox extra were missing\n")
    pytester.makepyfile(test_mine="def test_uses_it(preo_client):\n    pass\n\ndef test_other():\n    pass\n")
    # A process of its own (flask blocked there only), loading preo_nb's plugin and no other (a faster start).
    monkeypatch.setenv("PYTEST_DISABLE_PLUGIN_AUTOLOAD", "1")
    result = pytester.runpytest_subprocess("-p", "preo_nb.pytest_plugin", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=1, errors=1)
    result.stdout.fnmatch_lines(
        ["*preo_sandbox needs the sandbox extra (flask is not installed): from a checkout of preo_nb: pip install -e*"]
    )
    assert "During handling" not in result.stdout.str()


LOAD_THE_PLUGIN = """
import json, sys
from importlib.metadata import entry_points

(plugin,) = [e for e in entry_points(group="pytest11") if e.name == "preo_nb"]
plugin.load()  # what pytest does at every start in a project where preo_nb is installed
heavy = ("pandas", "numpy", "requests", "yaml", "flask", "faker", "IPython", "ipywidgets")
print(json.dumps(sorted(m for m in sys.modules if m.split(".")[0] in heavy)))
print(json.dumps(sorted(m for m in sys.modules if m.startswith("preo_nb"))))
"""


def test_loading_the_plugin_imports_nothing_heavy() -> None:
    """Every pytest run in a project with preo_nb installed loads the plugin: it must cost nothing."""
    done = subprocess.run([sys.executable, "-c", LOAD_THE_PLUGIN], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    heavy, ours = (json.loads(line) for line in done.stdout.splitlines())
    assert heavy == []
    # the package itself, its errors (stdlib only) and the webhook check it re-exports, with its Secret
    light = {
        "preo_nb",
        "preo_nb.pytest_plugin",
        "preo_nb.errors",
        "preo_nb._hints",
        "preo_nb.signing",
        "preo_nb._secret",
    }
    assert set(ours) <= light
