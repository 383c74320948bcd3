import time

import pytest

import preo_nb
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
    error = errors.Conflict(
        409,
        method="POST",
        url="http://127.0.0.1/v1/x",
        detail="Open request exists.",
        code="duplicate_open_request",
        field_errors={"amount": ["Too big.", "Really."]},
        request_id="abc123",
    )
    text = str(error)
    for part in (
        "409 Conflict on POST http://127.0.0.1/v1/x",
        "Open request exists.",
        "duplicate_open_request",
        "amount: Too big.; Really.",
        "abc123",
    ):
        assert part in text


def test_client_side_errors_are_value_errors():
    assert issubclass(errors.PreoValidationError, ValueError)
    assert issubclass(errors.ConfigurationError, errors.PreoValidationError)
    assert issubclass(errors.NotFound, errors.APIError) and issubclass(errors.APIError, errors.PreoError)


# -- errors for people: what was looked up, where the token came from, what to do instead -----

BASE = "http://127.0.0.1:9"


def not_found(path, method="GET"):
    return str(errors.NotFound(404, method=method, url=BASE + path, detail="Not found."))


@pytest.mark.parametrize(
    ("path", "says"),
    [
        (
            "/v1/orders/pur_1a2b",
            "No order 'pur_1a2b' that this token can see. 'pur_1a2b' looks like a purchase id "
            "(its prefix is pur_); try preo.purchases.retrieve('pur_1a2b')",
        ),
        (
            "/v1/purchases/ord_9",
            "'ord_9' looks like an order id (its prefix is ord_); try preo.orders.retrieve('ord_9')",
        ),
        (
            "/v1/orders/NF26-000123",
            "'NF26-000123' looks like an order number; to find an order by its number use "
            "preo.orders.list(order_number='NF26-000123'",
        ),
        ("/v1/purchases/NF26-000123", "to find an order by its number use preo.orders.list(order_number="),
        ("/v1/orders/trx_77", "to find its order use preo.orders.list(transaction_id='trx_77'"),
        ("/v1/refunds/pur_1/approve", "No refund request 'pur_1'"),
        (
            "/v1/data-imports/edt_1/start-import",
            "No data import 'edt_1' that this token can see. 'edt_1' looks like an edition id (its prefix is edt_); "
            "try preo.editions.retrieve('edt_1')",
        ),
        ("/api/v1/users/usr_1", "No user 'usr_1' that this token can see."),
    ],
)
def test_a_404_names_what_was_looked_up_and_hints_at_the_id_kind(path, says):
    assert says in not_found(path)


@pytest.mark.parametrize("path", ["/v1/orders/ord_1", "/v1/webhooks/whk_1", "/v1/orders/NO-SUCH-ORDER"])
def test_an_id_of_the_right_kind_gets_no_guess(path):
    text = not_found(path)
    assert "that this token can see." in text and "looks like" not in text


@pytest.mark.parametrize(
    "path", ["/v1/orders?page=999", "/v1/segments/cel-context", "/v1/webhooks/whk_1/deliveries/whd_2"]
)
def test_a_404_that_is_not_one_object_gets_no_hint(path):
    assert "--" not in not_found(path)


def test_id_hints_never_claim_certainty():
    for path in ("/v1/orders/pur_1", "/v1/orders/NF26-1", "/v1/orders/trx_1", "/v1/refunds/whd_1"):
        assert "looks like" in not_found(path) and " is a " not in not_found(path)


def test_a_404_from_the_sandbox_hints_at_the_purchase(live):
    order = live.orders.retrieve(
        live.orders.list(organization_id=live.auth.me()["organizations"][0]["id"], progress=False)["id"][0]
    )
    purchase = order["purchases"][0]["api_id"]
    with pytest.raises(errors.NotFound) as info:
        live.orders.retrieve(purchase)
    assert f"try preo.purchases.retrieve('{purchase}')" in str(info.value)
    with pytest.raises(errors.NotFound) as info:
        live.orders.retrieve(order["order_number"])
    assert f"preo.orders.list(order_number='{order['order_number']}'" in str(info.value)


@pytest.fixture
def no_env(monkeypatch, tmp_path):
    for name in ("PREO_API_TOKEN", "PREO_BASE_URL", "PREO_TIMEOUT", "PREO_NB_CASSETTE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)
    return tmp_path


WRONG = "sbx_" + "0" * 32


def test_a_401_says_the_token_came_from_the_environment(sandbox, no_env, monkeypatch):
    monkeypatch.setenv("PREO_API_TOKEN", WRONG)
    monkeypatch.setenv("PREO_BASE_URL", sandbox.url)
    with pytest.raises(errors.AuthenticationError) as info:
        preo_nb.connect().auth.me()
    assert "the API token came from the environment variable PREO_API_TOKEN" in str(info.value)
    assert WRONG not in str(info.value)


def test_a_401_names_the_env_file_the_token_came_from(sandbox, no_env, monkeypatch):
    (no_env / "project").mkdir()
    (no_env / ".env").write_text(f"PREO_API_TOKEN={WRONG}\nPREO_BASE_URL={sandbox.url}\n")
    monkeypatch.chdir(no_env / "project")  # the .env is found in a parent folder
    with pytest.raises(errors.AuthenticationError) as info:
        preo_nb.connect().auth.me()
    assert f"PREO_API_TOKEN in the .env file at {(no_env / '.env').resolve()}" in str(info.value)
    assert WRONG not in str(info.value)


def test_a_401_names_the_argument(sandbox, no_env):
    with pytest.raises(errors.AuthenticationError) as info:
        preo_nb.connect(base_url=sandbox.url, token=WRONG).auth.me()
    assert "the API token came from the token= argument" in str(info.value)


def test_waiting_on_a_refund_nobody_approved_says_so_at_once(sandbox, live):
    refund = sandbox.store.find_refund(org=1, status="requested")
    started = time.monotonic()
    with pytest.raises(preo_nb.AwaitingApproval) as info:
        live.refunds.wait(refund["id"], timeout=300, interval=0.5)
    assert time.monotonic() - started < 5
    assert f"refund request {refund['id']} is still requested: it awaits approval" in str(info.value)
    assert f"preo.refunds.approve('{refund['id']}')" in str(info.value)
    assert info.value.refund["status"] == "requested"
    assert isinstance(info.value, preo_nb.WaitTimeout)  # code handling a wait that gave up handles this too
    live.refunds.approve(refund["id"])
    assert live.refunds.wait(refund["id"], interval=0)["status"] == "processed"
