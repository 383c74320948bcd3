"""preo_nb.signing: the X-Preo-Signature check a webhook receiver runs."""

import hashlib
import hmac
import json

import pytest

from preo_nb import PreoError, PreoValidationError
from preo_nb.signing import SignatureVerificationError, parse_header, sign, verify

SECRET = "whsec_00112233445566778899aabbccddeeff"
BODY = b'{"id":"whe_1","event":"order.created"}'
T = 1_790_000_000
# Computed with `openssl dgst -sha256 -hmac <SECRET>` over "<T>." + BODY, not with this module.
KNOWN = "t=1790000000,v1=c6bb1f0d47b156ecf2cc64e21e47d3991fdf3d4dc31186de0931b3cf16a0266f"


def reason(secret=SECRET, header=KNOWN, body=BODY, **kwargs):
    with pytest.raises(SignatureVerificationError) as info:
        verify(secret, header, body, now=kwargs.pop("now", T), **kwargs)
    assert isinstance(info.value, PreoError)
    return info.value.reason


def test_sign_matches_a_signature_computed_elsewhere():
    assert sign(SECRET, BODY, T) == KNOWN
    assert sign(SECRET, BODY.decode(), T) == KNOWN


def test_verify_returns_the_event():
    assert verify(SECRET, KNOWN, BODY, now=T + 10) == {"id": "whe_1", "event": "order.created"}


def test_the_contract_readme_snippet_accepts_what_sign_makes():
    header = sign(SECRET, BODY, T)
    t, v1 = (part.split("=", 1)[1] for part in header.split(","))
    assert hmac.compare_digest(hmac.new(SECRET.encode(), f"{t}.".encode() + BODY, hashlib.sha256).hexdigest(), v1)


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"body": BODY.replace(b"order", b"ordeR")}, "signature_mismatch"),
        ({"body": json.dumps(json.loads(BODY)).encode()}, "signature_mismatch"),  # re-serialised: other bytes
        ({"secret": SECRET[:-1] + "0"}, "signature_mismatch"),
        ({"header": KNOWN.replace("t=1790000000", "t=1790000001")}, "signature_mismatch"),
        ({"header": KNOWN[:-1] + "0"}, "signature_mismatch"),
        ({"now": T + 301}, "timestamp_out_of_tolerance"),
        ({"now": T - 301}, "timestamp_out_of_tolerance"),
        ({"now": T + 11, "tolerance": 10}, "timestamp_out_of_tolerance"),
        ({"header": None}, "missing_header"),
        ({"header": " "}, "missing_header"),
        ({"header": "v1=" + KNOWN.split("v1=")[1]}, "malformed_header"),
        ({"header": "t=soon,v1=" + KNOWN.split("v1=")[1]}, "malformed_header"),
        ({"header": f"{KNOWN},t=1790000000"}, "malformed_header"),
        ({"header": "t=1790000000"}, "malformed_header"),
        ({"header": "t=1790000000,v0=abc"}, "malformed_header"),
    ],
)
def test_refusals_say_why(change, expected):
    assert reason(**change) == expected


def test_tolerance_is_inclusive_both_ways():
    assert verify(SECRET, KNOWN, BODY, now=T + 300)
    assert verify(SECRET, KNOWN, BODY, now=T - 300)


def test_the_clock_is_used_by_default():
    assert verify(SECRET, sign(SECRET, BODY), BODY)["event"] == "order.created"
    assert reason(header=KNOWN, now=None) == "timestamp_out_of_tolerance"  # T is long past


def test_header_variants_are_accepted():
    digest = KNOWN.split("v1=")[1]
    assert verify(SECRET, f"t={T}, v1={digest.upper()}", BODY, now=T)
    assert verify(SECRET, f"t={T},v1={'0' * 64},v1={digest}", BODY, now=T)  # any listed v1 may match


def test_a_signed_body_that_is_not_a_json_object_is_refused():
    for body in (b"not json", b"[1, 2]"):
        assert reason(header=sign(SECRET, body, T), body=body) == "malformed_body"


def test_parse_header_splits_time_and_signatures():
    assert parse_header(f"t=12,v1={'ab' * 32},v1={'CD' * 32}") == (12, ["ab" * 32, "cd" * 32])


DIGEST = KNOWN.split("v1=")[1]
MALFORMED = {
    "superscript two as the time": "t=²,v1=00",
    "arabic-indic digits as the time": f"t=١٧٩٠٠٠٠٠٠٠,v1={DIGEST}",
    "fullwidth digits as the time": f"t=１７９０,v1={DIGEST}",
    "an empty time": f"t=,v1={DIGEST}",
    "an empty signature": "t=1790000000,v1=",
    "only a comma": ",",
    "a part without '='": f"t=1790000000,{DIGEST}",
    "no time": f"v1={DIGEST}",
    "no signature": "t=1790000000",
    "a negative time": f"t=-1790000000,v1={DIGEST}",
    "a time with a fraction": f"t=1790000000.5,v1={DIGEST}",
    "a time of 5,000 digits": f"t={'9' * 5000},v1={DIGEST}",
    "a time of 30 digits": f"t={'9' * 30},v1={DIGEST}",
    "two times": f"t=1790000000,t=1790000000,v1={DIGEST}",
    "a signature that is not hex": f"t=1790000000,v1={'z' * 64}",
    "a signature with an accent": f"t=1790000000,v1={DIGEST[:-1]}é",
    "a short signature": "t=1790000000,v1=00",
    "a signature of 5,000 digits": f"t=1790000000,v1={'0' * 5000}",
    "a hex and a non-hex signature": f"t=1790000000,v1={DIGEST},v1=xyz",
    "bytes that are not ASCII": f"t=1790000000,v1={DIGEST}".encode() + b"\xff",
    "an int instead of text": 1790000000,
}


@pytest.mark.parametrize("header", MALFORMED.values(), ids=MALFORMED.keys())
def test_every_malformed_header_is_refused_as_malformed(header):
    with pytest.raises(SignatureVerificationError) as info:
        verify(SECRET, header, BODY, now=T)
    assert info.value.reason == "malformed_header"


def test_a_header_given_as_bytes_is_read_as_ascii():
    assert verify(SECRET, KNOWN.encode(), BODY, now=T)["event"] == "order.created"
    assert reason(header=KNOWN.replace("t=1790000000", "t=1790000001").encode()) == "signature_mismatch"


def test_a_flask_receiver_answers_400_to_a_malformed_header():
    import flask  # the sandbox extra, part of the test install

    app = flask.Flask(__name__)

    @app.post("/hook")
    def hook():
        try:
            verify(SECRET, flask.request.headers.get("X-Preo-Signature"), flask.request.get_data(), now=T)
        except SignatureVerificationError as exc:
            flask.abort(400, exc.reason)
        return "", 204

    answer = app.test_client().post("/hook", data=BODY, headers={"X-Preo-Signature": "t=²,v1=00"})
    assert answer.status_code == 400 and b"malformed_header" in answer.data


@pytest.mark.parametrize(
    ("secret", "body", "field"), [("", BODY, "secret"), (None, BODY, "secret"), (SECRET, {"id": 1}, "raw_body")]
)
def test_programming_errors_are_validation_errors(secret, body, field):
    with pytest.raises(PreoValidationError) as info:
        verify(secret, KNOWN, body, now=T)
    assert info.value.field == field


def test_the_error_message_names_the_reason_and_no_secret():
    with pytest.raises(SignatureVerificationError) as info:
        verify(SECRET, KNOWN, b"{}", now=T)
    assert "signature_mismatch" in str(info.value)
    assert SECRET not in str(info.value)
