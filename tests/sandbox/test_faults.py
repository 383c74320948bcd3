"""Fault injection through Python and through the control endpoints."""

from __future__ import annotations

import time

import pytest

from preo_nb.sandbox import Faults, Sandbox

from .conftest import Api, RoleApi


def test_fail_next_answers_before_the_api(sb: Sandbox, admin: Api) -> None:
    sb.faults.fail_next("GET", "/v1/editions", 503)
    failed = admin.get("/v1/editions")
    assert failed.status_code == 503
    assert failed.json() == {"detail": "Service temporarily unavailable, try again later."}
    assert "X-Request-ID" in failed.headers
    assert admin.get("/v1/editions").status_code == 200


def test_throttling_with_retry_after(sb: Sandbox, admin: Api) -> None:
    sb.faults.fail_next("*", "/v1/", 429, times=2, headers={"Retry-After": "1"})
    replies = [admin.get("/v1/auth/me") for _ in range(3)]
    assert [r.status_code for r in replies] == [429, 429, 200]
    assert replies[0].headers["Retry-After"] == "1"
    assert replies[0].json()["detail"].startswith("Request was throttled")


def test_faults_match_method_and_prefix_and_come_before_auth(sb: Sandbox, admin: Api) -> None:
    sb.faults.fail_next("POST", "/v1/refunds", 502, body={"error": "upstream"})
    assert admin.get("/v1/refunds").status_code == 200
    assert admin.get("/v1/editions").status_code == 200
    anonymous = Api(sb.url, None).post("/v1/refunds", {})
    assert (anonymous.status_code, anonymous.json()) == (502, {"error": "upstream"})


def test_a_failed_write_changes_nothing(sb: Sandbox, admin: Api) -> None:
    purchase_id = sb.store.find_purchase(org=1, refundable=True)["api_id"]
    sb.faults.fail_next("POST", f"/v1/purchases/{purchase_id}/refund", 500)
    body = {"reason": "customer_request"}
    assert admin.post(f"/v1/purchases/{purchase_id}/refund", body).status_code == 500
    assert admin.get("/v1/refunds", purchase_id=purchase_id).json()["count"] == 0


def test_latency(sb: Sandbox, admin: Api) -> None:
    sb.faults.latency(0.3)
    started = time.perf_counter()
    assert admin.get("/v1/auth/me").status_code == 200
    assert time.perf_counter() - started >= 0.3
    sb.faults.clear()
    assert sb.faults.delay == 0


def test_bad_fault_specs_are_refused() -> None:
    faults = Faults()
    with pytest.raises(ValueError, match="times"):
        faults.fail_next("GET", "/v1/", 503, times=0)
    with pytest.raises(ValueError, match="latency"):
        faults.latency(-1)


def test_control_endpoint_switches_faults(sb: Sandbox, admin: Api) -> None:
    spec = {
        "clear": True,
        "latency": 0,
        "fail_next": [{"method": "GET", "path_prefix": "/v1/orders", "status": 504}],
        "fail_payout": ["rfr_000000000000"],
    }
    state = admin.post("/_sandbox/faults", spec).json()
    assert state["fail_payout"] == ["rfr_000000000000"]
    assert [r["status"] for r in state["fail_next"]] == [504]
    assert admin.get("/v1/orders", organization_id=sb.store.org_id(1)).status_code == 504
    assert admin.get("/_sandbox/faults").json()["fail_next"] == []
    assert sb.faults.payout_fails("rfr_000000000000")


def test_control_endpoint_forces_a_payout_failure(sb: Sandbox, admin: Api) -> None:
    waiting = sb.store.find_refund(status="awaiting_gateway")["id"]
    admin.post("/_sandbox/faults", {"fail_payout": [waiting]})
    assert admin.get(f"/v1/refunds/{waiting}").json()["status"] == "failed"


@pytest.mark.parametrize(("role", "status"), [(None, 401), ("manager", 403), ("staff", 403), ("guest", 403)])
def test_control_endpoints_need_the_admin_token(as_role: RoleApi, role: str | None, status: int) -> None:
    api = as_role(role)
    assert api.post("/_sandbox/reset").status_code == status
    assert api.get("/_sandbox/faults").status_code == status


def test_bad_control_bodies_are_400(admin: Api) -> None:
    assert admin.post("/_sandbox/faults", [1]).status_code == 400
    assert admin.post("/_sandbox/faults", {"fail_next": [{"status": 503}]}).status_code == 400
    assert admin.post("/_sandbox/faults", {"latency": "slow"}).status_code == 400


def test_reset_endpoint_restores_the_seed(sb: Sandbox, admin: Api) -> None:
    org = sb.store.org_id(1)
    created = admin.post("/v1/editions", {"organization_id": org, "name": "Temp"}).json()
    sb.faults.latency(0.01)
    reply = admin.post("/_sandbox/reset")
    assert reply.status_code == 200
    assert admin.get(f"/v1/editions/{created['id']}").status_code == 404
    assert sb.faults.delay == 0


def test_pending_counts_the_tries_left(sb: Sandbox, admin: Api) -> None:
    sb.faults.fail_next("POST", "/v1/refunds", 503, times=2)
    assert sb.faults.pending("POST", "/v1/refunds/rfr_1/approve") == 2
    assert sb.faults.pending("GET", "/v1/refunds") == 0
    admin.post("/v1/refunds", {})
    assert sb.faults.pending("POST", "/v1/refunds") == 1


def test_throttle_allows_each_token_its_rate_then_answers_like_drf(sb: Sandbox, as_role: RoleApi) -> None:
    sb.faults.throttle(2)
    admin, manager = as_role("admin"), as_role("manager")
    replies = [admin.get("/v1/auth/me") for _ in range(3)]
    assert [r.status_code for r in replies] == [200, 200, 429]
    assert replies[2].headers["Retry-After"] == "1"
    assert replies[2].json() == {"detail": "Request was throttled. Expected available in 1 second."}
    assert manager.get("/v1/auth/me").status_code == 200  # another token, another bucket
    time.sleep(0.55)
    assert admin.get("/v1/auth/me").status_code == 200  # refilled at 2 per second
    assert sb.faults.state()["throttle"] == {"rate": 2.0, "burst": 2.0, "refused": 1}


def test_throttle_through_the_control_endpoint(sb: Sandbox, admin: Api) -> None:
    sb.faults.apply({"throttle": {"rate": 1, "burst": 1}})
    assert [admin.get("/v1/auth/me").status_code for _ in range(2)] == [200, 429]
    sb.faults.apply({"throttle": None})
    assert [admin.get("/v1/auth/me").status_code for _ in range(3)] == [200, 200, 200]
