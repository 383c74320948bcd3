import pytest

from preo_nb import errors


@pytest.mark.parametrize(
    ("status", "body", "cls"),
    [
        (400, {"amount": ["Must be positive."]}, errors.BadRequest),
        (400, {"detail": "Not allowed now.", "code": "invalid_state"}, errors.Conflict),
        (401, {"detail": "Invalid token."}, errors.AuthenticationError),
        (403, {"detail": "No."}, errors.PermissionDenied),
        (404, {"detail": "Not found."}, errors.NotFound),
        (409, {"detail": "Busy", "code": "in_use"}, errors.Conflict),
        (429, {"detail": "Slow down"}, errors.RateLimited),
        (500, "oops", errors.ServerError),
        (503, None, errors.ServerError),
        (418, None, errors.APIError),
    ],
)
def test_status_table(status, body, cls):
    assert errors.error_class(status, body) is cls


def test_message_holds_detail_code_fields_and_request_id():
    error = errors.Conflict(409, method="POST", url="http://127.0.0.1/v1/x", detail="Open request exists.",
                            code="duplicate_open_request", field_errors={"amount": ["Too big.", "Really."]},
                            request_id="abc123")
    text = str(error)
    for part in ("409 Conflict on POST http://127.0.0.1/v1/x", "Open request exists.", "duplicate_open_request",
                 "amount: Too big.; Really.", "abc123"):
        assert part in text


def test_client_side_errors_are_value_errors():
    assert issubclass(errors.PreoValidationError, ValueError)
    assert issubclass(errors.ConfigurationError, errors.PreoValidationError)
    assert issubclass(errors.NotFound, errors.APIError) and issubclass(errors.APIError, errors.PreoError)
