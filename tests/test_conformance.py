"""preo_nb.conformance: checking requests and replies against the contract, without a web framework.

Replies from a live sandbox are checked in ``tests/sandbox/test_conformance.py``.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap

from preo_nb.conformance import check_request, check_response

JSON = "application/json"
UNAUTHORIZED = {"detail": "Authentication credentials were not provided."}


def run_python(code: str) -> subprocess.CompletedProcess[str]:
    """Run ``code`` in a fresh interpreter."""
    return subprocess.run([sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True, timeout=120)


def test_it_checks_replies_with_flask_and_werkzeug_blocked() -> None:
    done = run_python(
        """
        import sys
        sys.modules["flask"] = sys.modules["werkzeug"] = None
        from preo_nb.conformance import check_request, check_response
        assert check_response("auth_me", 401, "application/json", b'{"detail": "No."}') == []
        assert check_response("auth_me", 401, "application/json", {"code": 1}) != []
        assert check_request("editions_create", {"name": "2027"}) != []
        print("ok")
        """
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "ok"


def test_import_preo_nb_leaves_it_unloaded() -> None:
    done = run_python(
        """
        import sys
        import preo_nb
        print(sorted(m for m in sys.modules if m in ("preo_nb.conformance", "jsonschema", "flask")))
        """
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"


def test_a_conforming_reply_has_no_problems() -> None:
    assert check_response("auth_me", 401, JSON, UNAUTHORIZED) == []
    assert check_response("auth_me", 401, "application/json; charset=utf-8", b'{"detail": "No."}') == []


def test_reply_problems_name_the_operation_status_and_place() -> None:
    assert check_response("auth_me", 401, JSON, {"detail": 5}) == ["auth_me 401: at detail: 5 is not of type 'string'"]
    assert check_response("auth_me", 418, JSON, UNAUTHORIZED) == ["auth_me 418: status not declared for this operation"]
    assert check_response("auth_me", 401, JSON, b"{not json")[0].startswith("auth_me 401: body is not JSON")
    assert check_response("no_such_operation", 200, JSON, {}) == ["no_such_operation: not an operation of the contract"]


def test_a_valid_request_body_has_no_problems() -> None:
    body = {"organization_id": "org_1", "name": "2027", "start_date": "2027-07-01T10:00:00"}
    assert check_request("editions_create", body) == []  # a naive datetime counts as UTC


def test_request_problems_name_the_field() -> None:
    problems = check_request("editions_create", {"organization_id": "org_1", "start_date": "soon"})
    assert problems == [
        "editions_create request: at <root>: 'name' is a required property",
        "editions_create request: at start_date: 'soon' is not a 'date-time'",
    ]


def test_an_operation_without_a_body_takes_none() -> None:
    assert check_request("auth_me", None) == []
    assert check_request("auth_me", {"x": 1}) == ["auth_me: the operation takes no JSON body"]
