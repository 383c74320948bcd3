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
        assert "jsonschema" not in sys.modules  # 1.5 s with jupyterlab's format packages: only for a bad body
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


def test_the_quick_verdict_agrees_with_jsonschema_on_recorded_replies_and_broken_copies() -> None:
    """jsonschema-rs only says "conforms" sooner: it must say so exactly when jsonschema finds nothing."""
    import json
    import random
    from urllib.parse import urlsplit

    from cassette_files import FILES, interactions

    from preo_nb import conformance, contract

    assert conformance._quick("/components/schemas/RefundRequest", False) is not None, "the fast extra is not installed"
    rng = random.Random(18)
    seen = broken = 0
    kept: dict[tuple[str, int], int] = {}
    for path in FILES:
        for item in interactions(path):
            request, response = item["request"], item["response"]
            operation = contract.find_operation(request["method"], urlsplit(request["uri"]).path)
            found = conformance.response_object(operation, response["status"]["code"])
            key = (operation, response["status"]["code"])
            if found is None or "application/json" not in found[1].get("content", {}) or kept.get(key, 0) >= 3:
                continue
            kept[key] = kept.get(key, 0) + 1  # three replies of each kind keep this test quick
            where = found[0] + conformance.pointer("content", "application/json", "schema")
            body = _short(json.loads(response["body"]["string"] or "null"))
            for copy in [body, *(_broken(body, rng) for _ in range(6))]:
                for lenient in (False, True):
                    slow = not list(conformance.validator(where, lenient_datetimes=lenient).iter_errors(copy))
                    quick = conformance._conforms(conformance._quick(where, lenient), copy)
                    seen, broken = seen + 1, broken + (not slow)
                    assert slow == quick, (path.name, operation, copy)
    assert seen > 2000 and broken > seen / 4, (seen, broken)  # enough replies, and enough of them wrong


def _short(body):
    """``body`` with every list cut to its first three items (a page's records are alike)."""
    if isinstance(body, dict):
        return {key: _short(value) for key, value in body.items()}
    return [_short(value) for value in body[:3]] if isinstance(body, list) else body


def _broken(body, rng):
    """A copy of ``body`` with one value swapped for a wrong one (a type, an enum, a date, a missing field)."""
    import copy as copying

    found = copying.deepcopy(body)
    places = []

    def walk(node):
        if isinstance(node, dict):
            places.extend((node, key) for key in node)
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            places.extend((node, i) for i in range(len(node)))
            for value in node:
                walk(value)

    walk(found)
    if not places:
        return 5
    node, key = rng.choice(places)
    value = node[key]
    wrong = [None, "5", 5, 5.5, True, [], {}, "yesterday", "2026-12-07T10:00:00", "no-at-sign", "not a uri", "x" * 3]
    if isinstance(node, dict) and rng.random() < 0.2:
        del node[key]
    else:
        node[key] = rng.choice([w for w in wrong if w != value])
    return found


def test_a_reply_can_be_checked_for_its_first_problems_only() -> None:
    body = {"detail": 5, "code": 6, "extra": 7}
    everything = check_response("auth_me", 401, JSON, {"detail": 5})
    assert check_response("auth_me", 401, JSON, body, most=1) == everything[:1]
    assert len(check_response("auth_me", 401, JSON, [1, 2, 3], most=5)) == 1


def test_without_the_fast_extra_jsonschema_alone_gives_the_same_answers(monkeypatch) -> None:
    from preo_nb import conformance

    conformance._quick.cache_clear()
    monkeypatch.setitem(sys.modules, "jsonschema_rs", None)  # as in the core install: import fails
    try:
        assert conformance._quick("/components/schemas/RefundRequest", False) is None
        assert check_response("auth_me", 401, JSON, UNAUTHORIZED) == []
        assert check_response("auth_me", 401, JSON, {"detail": 5}) == [
            "auth_me 401: at detail: 5 is not of type 'string'"
        ]
        assert check_request("editions_create", {"name": "2027", "start_date": "soon"}) != []
    finally:
        conformance._quick.cache_clear()  # the next test gets jsonschema-rs again
