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
