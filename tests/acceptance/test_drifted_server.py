"""The client against a server that disagrees with the contract (issue 10's seven cases).

The sandbox sits behind ``preo_nb.sandbox.drift``, a loopback proxy that rewrites what
it answers the way a real server plausibly might. Each test asserts what a user sees:
no refund attributed to the wrong purchase, an error naming an ignored filter, every
row or an error, no silently dropped write, the right ``Accept``.
"""

from __future__ import annotations

import contextlib
import dataclasses
import warnings
from datetime import timedelta

import pytest

import preo_nb
from preo_nb.errors import ContractDriftWarning, IgnoredFilter, IncompleteList, UnexpectedRedirect
from preo_nb.sandbox import drift


@pytest.fixture
def sb(sandbox):
    sandbox.reset()
    yield sandbox
    sandbox.faults.clear()


@contextlib.contextmanager
def drifted(sb, how, **settings):
    """A client talking to the sandbox through a drift proxy."""
    how = drift.VARIANTS[how] if isinstance(how, str) else how
    with drift.running(sb.url, how) as proxy:
        yield (
            proxy,
            preo_nb.connect(base_url=proxy.url, token=sb.token, env_file=False, **{"page_size": 50, **settings}),
        )


def requests_of(sb, purchase_id):
    return [r for r in sb.store.refunds() if r["purchase"]["api_id"] == purchase_id]


# 1. A refund attributed to the wrong purchase


def test_a_lost_refund_answer_is_never_settled_with_another_purchases_refund(sb):
    purchase = sb.store.find_purchase(org=1, status="paid", refundable=True)["api_id"]
    sb.faults.fail_next("POST", f"/v1/purchases/{purchase}/refund", kind="drop")
    with (
        drifted(sb, drift.Drift(ignore_filters=("purchase_id",))) as (_, preo),
        pytest.raises(preo_nb.UnknownOutcome) as info,
    ):
        preo.purchases.refund(purchase, reason="event_cancelled")
    assert "ignored purchase_id" in str(info.value)
    assert info.value.check == f"GET /v1/refunds?purchase_id={purchase}"
    assert len(requests_of(sb, purchase)) == 1  # filed once, and never sent again


def test_a_refund_filed_earlier_is_not_taken_for_the_one_whose_answer_was_lost(sb, connect_to):
    preo = connect_to(sb.url, sb.token)
    purchase = sb.store.find_purchase(org=1, status="paid", refundable=True, has_deposit=True)["api_id"]
    earlier = preo.purchases.refund(purchase, reason="event_cancelled", scope="purchase_deposit")
    sb.store.clock.advance(timedelta(minutes=10))
    sb.faults.fail_next("POST", f"/v1/purchases/{purchase}/refund", kind="drop")
    with pytest.raises(preo_nb.Conflict) as info:  # the server refused it: an open request exists
        preo.purchases.refund(purchase, reason="event_cancelled")
    assert info.value.code == "duplicate_open_request"
    assert [r["id"] for r in requests_of(sb, purchase)] == [earlier["id"]]


def test_a_lost_refund_answer_is_settled_when_money_comes_back_as_strings(sb):
    purchase = sb.store.find_purchase(org=1, status="paid", refundable=True)["api_id"]
    sb.faults.fail_next("POST", f"/v1/purchases/{purchase}/refund", kind="drop")
    with drifted(sb, "string_money") as (_, preo):
        made = preo.purchases.refund(purchase, reason="compensation", amount=1.5)
    assert made["amount"] == 1.5 and made["purchase"]["api_id"] == purchase
    assert [r["id"] for r in requests_of(sb, purchase)] == [made["id"]]


# 2. Ignored filters


def test_a_list_whose_filter_the_server_ignored_is_an_error_naming_the_filter(sb):
    edition = sb.store.busiest_edition()["id"]
    with drifted(sb, "ignored_filters") as (_, preo):
        with pytest.raises(IgnoredFilter, match="ignored filter edition_id") as info:
            preo.refunds.list(edition_id=edition, status="requested")
        assert info.value.filter == "edition_id" and info.value.rows > 0
        with pytest.raises(IgnoredFilter, match="edition_id"):
            list(preo.refunds.iterate(edition_id=edition, status="requested"))


def test_refund_queue_daily_approves_nothing_when_the_server_ignores_its_filter(sb, tmp_path):
    from preo_nb import runbooks, runner

    edition = sb.store.busiest_edition()["id"]
    requested = len(sb.store.refunds(status="requested"))
    with drift.running(sb.url, drift.VARIANTS["ignored_filters"]) as proxy:
        env = {"PREO_BASE_URL": proxy.url, "PREO_API_TOKEN": sb.token, "PREO_NB_CASSETTE": None}
        with runner.environment(env), pytest.raises(runner.RunbookFailed, match="IgnoredFilter"):
            runner.run_notebook(
                runbooks.find("refund_queue_daily").path,
                tmp_path / "out.ipynb",
                {"edition_id": edition, "dry_run": False, "max_amount": 1000.0},
                timeout=120,
            )
    assert len(sb.store.refunds(status="requested")) == requested


# 3. Lists cut short


@pytest.mark.parametrize("variant", ["small_pages", "cursor_links", "no_count", "plain_array"])
def test_a_server_that_pages_differently_still_gives_every_row(sb, connect_to, variant):
    edition = sb.store.busiest_edition()["id"]
    truth = connect_to(sb.url, sb.token).orders.list(edition_id=edition)
    with drifted(sb, variant) as (_, preo):
        got = preo.orders.list(edition_id=edition)
    assert got["id"].tolist() == truth["id"].tolist() and len(got) > 200


@pytest.mark.parametrize("variant", ["wrong_count", "endless_links"])
def test_pages_that_do_not_add_up_are_an_error_not_a_short_frame(sb, variant):
    edition = sb.store.busiest_edition()["id"]
    seen = []
    how = dataclasses.replace(drift.VARIANTS[variant], before=lambda method, path, query: seen.append(path))
    with drifted(sb, how) as (_, preo), pytest.raises(IncompleteList):
        preo.orders.list(edition_id=edition)
    assert len(seen) < 60  # an endless chain of links is cut off, not followed for ever


def test_rows_added_while_a_list_is_read_are_read_again_not_lost(sb, connect_to):
    writer = connect_to(sb.url, sb.token)
    edition = sb.store.busiest_edition()["id"]
    fresh = iter(p["api_id"] for p in sb.store.purchases(edition_id=edition, refundable=True))

    def file_one_during_page_two(method, path, query):
        if path == "/v1/refunds" and query.get("page") == "2" and not added:
            added.append(writer.purchases.refund(next(fresh), reason="sold_out"))

    added = []
    with drifted(sb, drift.Drift(before=file_one_during_page_two), page_size=20) as (_, preo):
        got = preo.refunds.list(edition_id=edition)
    truth = writer.refunds.list(edition_id=edition)
    assert added and added[0]["id"] in set(got["id"])
    assert sorted(got["id"]) == sorted(truth["id"])


# 4. Redirects


def test_a_redirected_patch_is_refused_not_silently_lost(sb):
    edition = sb.store.first_edition()
    with drifted(sb, "trailing_slash") as (_, preo):
        assert len(preo.editions.list()) >= 3  # reads follow the redirect on the same origin
        with pytest.raises(UnexpectedRedirect) as info:
            preo.editions.update(edition["id"], name="Renamed by a lost PATCH")
    assert info.value.location.endswith(f"/v1/editions/{edition['id']}/")
    assert "trailing_slash=True" in str(info.value)
    assert sb.store.first_edition()["name"] == edition["name"]


def test_a_redirected_refund_is_not_filed_and_trailing_slash_true_files_it(sb):
    purchase = sb.store.find_purchase(org=1, status="paid", refundable=True)["api_id"]
    with drifted(sb, "trailing_slash") as (_, preo), pytest.raises(UnexpectedRedirect):
        preo.purchases.refund(purchase, reason="sold_out")
    assert requests_of(sb, purchase) == []
    with drifted(sb, "trailing_slash", trailing_slash=True) as (_, preo):
        made = preo.purchases.refund(purchase, reason="sold_out")
    assert [r["id"] for r in requests_of(sb, purchase)] == [made["id"]]


def test_a_307_never_carries_a_refund_to_another_origin(sb):
    purchase = sb.store.find_purchase(org=1, status="paid", refundable=True)["api_id"]
    with drift.running(sb.url, drift.Drift()) as elsewhere:
        with (
            drifted(sb, drift.Drift(redirect_writes_to=elsewhere.url)) as (_, preo),
            pytest.raises(UnexpectedRedirect, match=elsewhere.url),
        ):
            preo.purchases.refund(purchase, reason="sold_out")
        assert elsewhere.writes_seen == 0
    assert requests_of(sb, purchase) == []


# 5. Types


def test_money_as_strings_is_money_in_lists_and_single_objects(sb, connect_to):
    edition = sb.store.busiest_edition()["id"]
    truth = connect_to(sb.url, sb.token).refunds.list(edition_id=edition)
    with drifted(sb, "string_money") as (_, preo):
        got = preo.refunds.list(edition_id=edition)
        one = preo.refunds.retrieve(truth["id"][0])
        purchase = preo.purchases.retrieve(one["purchase"]["api_id"])
    assert got["amount"].dtype == "float64" and got["amount"].sum() == pytest.approx(truth["amount"].sum())
    assert one["amount"] == truth["amount"][0] and isinstance(purchase["price"], float)


def test_integer_ids_are_read_as_ids(sb):
    edition = sb.store.busiest_edition()["id"]
    with drifted(sb, "integer_ids") as (_, preo):
        editions = preo.editions.list()
        shown = editions.loc[editions["name"] == sb.store.busiest_edition()["name"], "id"].iloc[0]
        refunds = preo.refunds.list(edition_id=shown)
        one = preo.refunds.retrieve(refunds["id"][0])
    assert shown.isdigit() and shown != edition and len(refunds) > 0
    assert one["id"] == refunds["id"][0] and isinstance(one["id"], str)


@pytest.mark.parametrize(
    ("variant", "words"),
    [
        ("bad_datetimes", "column created are not an ISO 8601 datetime"),
        ("missing_fields", "the API sent no created field"),
    ],
)
def test_unreadable_or_missing_fields_are_a_warning_not_a_silent_gap(sb, variant, words):
    with drifted(sb, variant) as (_, preo), warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        frame = preo.refunds.list(edition_id=sb.store.busiest_edition()["id"])
    assert frame["created"].isna().all()
    assert any(issubclass(w.category, ContractDriftWarning) and words in str(w.message) for w in caught)


# 6. Accept headers


def test_the_csv_export_asks_for_csv(sb):
    with drifted(sb, "strict_accept") as (_, preo):
        segment = preo.segments.list(status="completed")["id"].iloc[0]
        members = preo.segments.export_csv(segment)
    assert list(members.columns)[:2] == ["user_id", "email"]


# 7. Ids the server hands out


def test_ids_from_the_server_are_not_held_to_the_rule_for_typed_ids(sb, connect_to):
    edition = sb.store.busiest_edition()["id"]
    truth = connect_to(sb.url, sb.token).orders.purchases(edition_id=edition)
    with drifted(sb, "odd_ids") as (_, preo):
        got = preo.orders.purchases(edition_id=edition + drift.rewrite.IdTable.ODD)
    assert len(got) == len(truth) and got["api_id"].str.endswith("~v2").all()


# 8. A stock DRF + django-filter server, written from the contract (issue 15)


@pytest.fixture(scope="module")
def drf(sandbox):
    """The sandbox as stock DRF + django-filter would serve it, and a client set up as its advice says."""
    sandbox.reset()
    with drift.running(sandbox.url, drift.VARIANTS["drf_defaults"]) as proxy:
        preo = preo_nb.connect(
            base_url=proxy.url, token=sandbox.token, env_file=False, auth_scheme="Token", trailing_slash=True
        )
        yield sandbox, proxy, preo


def drf_edition(sb, preo):
    """The busiest edition, by the id the DRF server shows for it."""
    editions = preo.editions.list()
    return editions.loc[editions["name"] == sb.store.busiest_edition()["name"], "id"].iloc[0]


def selective_orders_filters(orders):
    """For each orders filter django-filter did not declare, a value that keeps some rows and drops others."""
    middle = orders["created"].sort_values().iloc[len(orders) // 2].strftime("%Y-%m-%dT%H:%M:%SZ")
    one = orders.iloc[len(orders) // 3]
    return {
        "created_after": middle,
        "created_before": middle,
        "customer_email": one["customer.email"],
        "customer_phone": one["customer.phone_number"],
        "order_number": one["order_number"],
        "search": one["order_number"],
        "ordering": "created",
    }


@pytest.mark.parametrize("name", drift.DJANGO_FILTER_UNKNOWN)
def test_an_orders_filter_a_drf_server_ignores_is_refused_not_returned_whole(drf, connect_to, name):
    sb, _, preo = drf
    truth = connect_to(sb.url, sb.token).orders.list(edition_id=sb.store.busiest_edition()["id"])
    value = selective_orders_filters(truth)[name]
    edition = drf_edition(sb, preo)
    with pytest.raises(IgnoredFilter, match=f"ignored filter {name}") as info:
        preo.orders.list(edition_id=edition, **{name: value})
    assert info.value.filter == name and info.value.rows > 0
    with pytest.raises(IgnoredFilter, match=f"ignored filter {name}"):
        list(preo.orders.iterate(edition_id=edition, **{name: value}))


@pytest.mark.parametrize("name", ["status", "type", "customer_id", "transaction_id", "organization_id"])
def test_an_orders_filter_a_drf_server_honours_gives_the_right_rows(drf, connect_to, name):
    sb, proxy, preo = drf
    edition = sb.store.busiest_edition()["id"]
    truth_client = connect_to(sb.url, sb.token)
    orders = truth_client.orders.list(edition_id=edition)
    column = {"customer_id": "customer.api_id"}.get(name, name)
    value = str(orders[column].iloc[len(orders) // 3])
    scope = {} if name == "organization_id" else {"edition_id": edition}
    truth = truth_client.orders.list(**scope, **{name: value})
    shown = {k: str(proxy.ids.shown(v)) if k.endswith("_id") else v for k, v in {**scope, name: value}.items()}
    got = preo.orders.list(**shown)
    assert len(got) > 0 and sorted(proxy.ids.text(i) for i in got["id"]) == sorted(truth["id"])


REFUNDS_FILTERS = {
    "status": "requested",
    "reason": "event_cancelled",
    "scope": "purchase_full",
}


@pytest.mark.parametrize("name", [*REFUNDS_FILTERS, "edition_id", "organization_id", "purchase_id", None])
def test_every_refunds_filter_a_drf_server_honours_gives_the_right_rows_across_limit_offset_pages(
    drf, connect_to, name
):
    sb, proxy, preo = drf
    truth_client = connect_to(sb.url, sb.token)
    everything = truth_client.refunds.list()
    assert len(everything) > 2 * drift.VARIANTS["drf_defaults"].default_limit  # several limit/offset pages
    value = {
        "edition_id": sb.store.busiest_edition()["id"],
        "organization_id": everything["organization"].iloc[0],
        "purchase_id": everything["purchase.api_id"].iloc[0],
        **REFUNDS_FILTERS,
    }.get(name)
    query = {name: value} if name else {}
    truth = truth_client.refunds.list(**query)
    shown = {name: proxy.ids.shown(value) if name.endswith("_id") else value} if name else {}
    got = preo.refunds.list(**{k: str(v) for k, v in shown.items()})
    assert 0 < len(got) < len(everything) or not name
    assert sorted(proxy.ids.text(i) for i in got["id"]) == sorted(truth["id"])
    assert got["amount"].dtype == "float64"


def test_a_duplicate_refund_a_drf_server_refuses_with_400_says_so(drf):
    sb, proxy, preo = drf
    purchase = sb.store.find_purchase(org=1, status="paid", refundable=True)["api_id"]
    shown = str(proxy.ids.shown(purchase))
    preo.purchases.refund(shown, reason="event_cancelled")
    with pytest.raises(preo_nb.BadRequest, match=r"non_field_errors: .*open refund request"):
        preo.purchases.refund(shown, reason="event_cancelled")
    assert len(requests_of(sb, purchase)) == 1


def test_a_route_the_server_lacks_is_summarised_not_dumped_as_html(drf):
    _, _, preo = drf
    with pytest.raises(preo_nb.NotFound) as info:
        preo.segments.cel_context()
    message = str(info.value)
    assert "HTML page" in message and "Page not found at /v1/segments/cel-context/" in message
    assert "<" not in message and len(message) < 400


def test_a_404_hint_still_reads_the_path_with_a_trailing_slash(drf):
    _, _, preo = drf
    with pytest.raises(preo_nb.NotFound, match="looks like an order number"):
        preo.orders.retrieve("NF26-000001")


def test_a_401_that_names_another_scheme_says_how_to_connect(sb, monkeypatch):
    with drifted(sb, "token_auth") as (proxy, preo), pytest.raises(preo_nb.AuthenticationError) as info:
        preo.editions.list()
    assert "auth_scheme='Token'" in str(info.value) and "PREO_AUTH_SCHEME=Token" in str(info.value)
    assert "expired, revoked" not in str(info.value)
    monkeypatch.setenv("PREO_AUTH_SCHEME", "Token")
    with drift.running(sb.url, drift.VARIANTS["token_auth"]) as proxy:
        assert len(preo_nb.connect(base_url=proxy.url, token=sb.token, env_file=False).editions.list()) > 0


def test_the_drf_server_is_usable_with_settings_from_the_environment_alone(sb, tmp_path, monkeypatch):
    (tmp_path / ".env").write_text("PREO_TRAILING_SLASH=true\nPREO_AUTH_SCHEME=Token\n")
    monkeypatch.chdir(tmp_path)
    with drift.running(sb.url, drift.VARIANTS["drf_defaults"]) as proxy:
        preo = preo_nb.connect(base_url=proxy.url, token=sb.token)
        assert preo.settings.trailing_slash and preo.settings.auth_scheme == "Token"
        assert len(preo.refunds.list()) == len(sb.store.refunds())
