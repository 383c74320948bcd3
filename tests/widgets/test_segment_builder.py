"""SegmentBuilder: clauses and their CEL without a server, then checking, saving and calculating live."""

import pytest

from preo_nb.errors import PreoValidationError
from preo_nb.widgets import SegmentBuilder
from preo_nb.widgets.segment_draft import clause, clause_kinds, combine, save_problems

from .helpers import spy_on, text

CONTEXT = {
    "variables": [
        {"name": "user.email", "type": "string"},
        {"name": "user.locale", "type": "string"},
        {"name": "user.created", "type": "timestamp"},
        {"name": "purchases", "type": "list(map)"},
        {"name": "orders", "type": "list(map)"},
    ],
    "functions": [{"name": n} for n in ("has_purchased", "has_product_type", "total_spent", "days_since")],
    "products": [{"id": "prd_1", "name": "Day ticket"}],
    "dynamic_values": {"product_types": ["ticket", "drink"], "purchase_statuses": ["paid", "refunded"]},
}
KINDS = clause_kinds(CONTEXT)


def test_the_builder_offers_what_the_context_has():
    assert list(KINDS) == [
        "product",
        "product_type",
        "total_spent",
        "signup_days",
        "order_count",
        "purchase_status",
        "user_field",
    ]
    assert KINDS["product"].choices == (("Day ticket", "prd_1"),)
    assert KINDS["user_field"].choices == (("email", "email"), ("locale", "locale"))  # text fields only
    bare = clause_kinds({"variables": [{"name": "orders", "type": "list(map)"}], "functions": [], "products": []})
    assert list(bare) == ["order_count"]


@pytest.mark.parametrize(
    ("kind", "choice", "operator", "value", "negate", "written"),
    [
        ("product", "prd_1", None, "", False, 'has_purchased("prd_1")'),
        ("product_type", "drink", None, "", True, '!(has_product_type("drink"))'),
        ("total_spent", None, ">=", "50", False, "total_spent() >= 50.0"),
        ("signup_days", None, "<", " 30 ", False, "days_since(user.created) < 30"),
        ("order_count", None, "==", "0", False, "size(orders) == 0"),
        ("purchase_status", "refunded", None, "", False, 'purchases.exists(p, p.status == "refunded")'),
        ("user_field", "email", "endsWith", '@x.org" || true', False, 'user.email.endsWith("@x.org\\" || true")'),
        ("user_field", "locale", "==", "", False, 'user.locale == ""'),
    ],
)
def test_each_clause_is_written_as_cel(kind, choice, operator, value, negate, written):
    assert clause(KINDS[kind], choice, operator, value, negate) == written


@pytest.mark.parametrize(
    ("kind", "choice", "operator", "value", "message"),
    [
        ("total_spent", None, ">", "fifty", "'fifty' is not a number"),
        ("total_spent", None, ">", "nan", "'nan' is not a finite number"),
        ("signup_days", None, "<", "2.5", "'2.5' is not a whole number"),
        ("total_spent", None, None, "5", "choose one of =="),
        ("product", "prd_404", None, "", "choose one of the bought a product options"),
        ("user_field", "email", "contains", "", "contains needs some text"),
    ],
)
def test_a_clause_with_a_bad_value_is_refused(kind, choice, operator, value, message):
    with pytest.raises(PreoValidationError, match=message):
        clause(KINDS[kind], choice, operator, value)


@pytest.mark.parametrize(
    ("existing", "joiner", "combined"),
    [
        ("", "&&", "c"),
        ("a && b", "&&", "a && b && c"),
        ("a || b", "&&", "(a || b) && c"),
        ("a && b", "||", "(a && b) || c"),
        ('user.email == "x || y"', "&&", 'user.email == "x || y" && c'),  # operators inside strings do not count
    ],
)
def test_clauses_join_in_the_order_they_were_added(existing, joiner, combined):
    assert combine(existing, "c", joiner) == combined


def test_a_save_needs_a_name_and_a_condition_that_passes_the_local_checks():
    assert save_problems("", "size(orders) > 0", CONTEXT) == {"name": "give the segment a name"}
    assert save_problems("x", "size(ordrs) > 0", CONTEXT) == {"condition": "line 1, column 6: unknown variable 'ordrs'"}
    assert save_problems("x", "size(orders) > 0", CONTEXT) == {}


@pytest.fixture
def edition(sandbox):
    return sandbox.store.edition(org=1, n=2)


@pytest.fixture
def builder(live, edition):
    return SegmentBuilder(live, edition["id"], poll_interval=0)


def test_offers_the_editions_products_and_segments(live, builder, edition):
    products = live.segments.cel_context(edition_id=edition["id"])["products"]
    builder.kind.value = "product"
    assert [v for _, v in builder.choice.options] == [p["id"] for p in products]
    segments = live.segments.list(edition_id=edition["id"])
    assert [v for _, v in builder.segment.options] == [None, *segments["id"]]


def test_added_clauses_are_checked_locally_and_by_preo(builder):
    builder.kind.value, builder.operator.value, builder.value.value = "total_spent", ">", "50"
    builder.add.click()
    builder.kind.value, builder.choice.value, builder.joiner.value = "product_type", "drink", "OR"
    builder.add.click()
    assert builder.condition.value == 'total_spent() > 50.0 || has_product_type("drink")'
    assert text(builder.local_check) == "✓ Local check: parses, every name is known"
    assert text(builder.server_check) == "✓ Preo: valid" and builder.server_result["valid"] is True


def test_a_local_error_shows_where_and_asks_nothing_of_preo(live, builder, monkeypatch):
    calls = spy_on(live, monkeypatch)
    builder.condition.value = 'has_product_type("drink") &&\n  totl_spent() > 5.0'
    assert (
        text(builder.local_check) == "✗ Local check: line 2, column 3: unknown function 'totl_spent' "
        "totl_spent() > 5.0 ^"
    )
    assert "\n  ^" in builder.local_check.value  # the caret sits under the column
    assert calls == [] and builder.server_result is None and builder.server_check.value == ""


def test_an_overlong_condition_is_refused_and_the_builder_stays_usable(live, builder, monkeypatch):
    calls = spy_on(live, monkeypatch)
    builder.condition.value = "size(orders) > 0" + " && size(orders) > 0" * 3500 + " &&"  # 70,000 characters
    assert text(builder.local_check) == "✗ Local check: the condition has 70,019 characters; at most 10,000 are allowed"
    assert calls == [] and builder.server_check.value == ""
    builder.condition.value = "size(orders) > 0"
    assert text(builder.local_check).startswith("✓") and text(builder.server_check) == "✓ Preo: valid"


def test_what_only_preo_can_tell_is_shown_too(builder):
    builder.condition.value = "user.email"  # parses, known names, but not a bool
    assert text(builder.local_check).startswith("✓")
    assert text(builder.server_check) == "✗ Preo: the condition must give a bool, not string"


def test_saves_a_new_segment_then_calculates_and_exports_it(sandbox, live, builder, edition):
    builder.condition.value = 'has_product_type("drink") && total_spent() > 20.0'
    builder.save.click()
    assert text(builder.status) == "✗ Not saved: name: give the segment a name"
    builder.name.value = "Thirsty regulars"
    builder.save.click()
    saved = live.segments.retrieve(builder.segment_id)
    assert (saved["name"], saved["condition"], saved["edition_id"]) == (
        "Thirsty regulars",
        builder.condition.value,
        edition["id"],
    )
    assert builder.segment.value == saved["id"] and text(builder.status).startswith("✓ Created seg_")
    builder.recalculate.click()
    done = live.segments.retrieve(saved["id"])
    assert done["status"] == "completed" and builder.progress.value == 3
    assert text(builder.user_count) == f"{done['user_count']} members (completed)"
    builder.export.click()
    assert len(builder.members) == done["user_count"]
    assert list(builder.members.columns) == ["user_id", "email", "first_name", "last_name", "phone_number"]


def test_updates_an_existing_segment(live, builder):
    existing = next(v for _, v in builder.segment.options if v)
    builder.segment.value = existing
    assert builder.condition.value == live.segments.retrieve(existing)["condition"]
    builder.kind.value, builder.operator.value, builder.value.value = "order_count", ">=", "2"
    builder.add.click()
    builder.save.click()
    assert live.segments.retrieve(existing)["condition"].endswith("&& size(orders) >= 2")
    assert text(builder.status).startswith(f"✓ Updated {existing}")


def test_calculating_unsaved_changes_is_refused(live, builder, monkeypatch):
    builder.segment.value = next(v for _, v in builder.segment.options if v)
    builder.condition.value += " && size(orders) > 0"
    calls = spy_on(live, monkeypatch)
    builder.recalculate.click()
    assert calls == [] and "Save the segment first" in text(builder.status)
