"""preo_nb.testing: what recording removes from responses, and how requests match."""

import pytest

from preo_nb import testing

SECRET = "whsec_0123456789abcdef0123456789abcdef"
OTHER = "whsec_fedcba9876543210fedcba9876543210"


def recorded(body):
    return {
        "status": {"code": 200},
        "headers": {"Set-Cookie": ["a=b"], "Content-Type": ["application/json"]},
        "body": {"string": body},
    }


def test_webhook_secrets_are_replaced_with_fakes_of_the_same_length():
    body = f'{{"secret": "{SECRET}", "old": "{OTHER}", "again": "{SECRET}"}}'.encode()
    scrubbed = testing._scrub_response(recorded(body))
    text = scrubbed["body"]["string"].decode()
    assert testing.find_secrets(text) == []
    assert SECRET not in text and OTHER not in text
    assert len(scrubbed["body"]["string"]) == len(body)  # the recorded Content-Length stays right
    fakes = [part.split('"')[0] for part in text.split('"whsec_')[1:]]
    assert fakes[0] == fakes[2] != fakes[1]  # distinct secrets stay distinct, so rotations show
    assert all(f.startswith("REDACTED_") for f in fakes)
    assert "Set-Cookie" not in scrubbed["headers"] and "Content-Type" in scrubbed["headers"]


def test_bodies_without_secrets_are_left_alone():
    for body in (b'{"name": "whsec_ docs"}', b"", '{"secret": null}'):
        assert testing._scrub_response(recorded(body))["body"]["string"] == body
    text_body = f'{{"secret": "{SECRET}"}}'
    assert SECRET not in testing._scrub_response(recorded(text_body))["body"]["string"]


def _upload(content: bytes):
    import requests
    from vcr.request import Request

    prepared = requests.Request(
        "POST", "http://127.0.0.1:9/v1/files", data={"organization_id": "org_1"}, files={"file": ("a.png", content)}
    ).prepare()
    return Request("POST", prepared.url, prepared.body, dict(prepared.headers))


def test_uploads_match_whatever_boundary_requests_drew():
    from preo_nb.testing import body_matcher

    body_matcher(_upload(b"same bytes"), _upload(b"same bytes"))
    with pytest.raises(AssertionError):
        body_matcher(_upload(b"same bytes"), _upload(b"other bytes"))
