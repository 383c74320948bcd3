import pytest

import preo_nb
from preo_nb import contract

from .helpers import first_edition


def platform_message(preo, kind="receipt"):
    return preo.email_messages.list(scope="platform", type=kind)["id"].iloc[0]


def my_organization(preo):
    return preo.auth.me()["organizations"][0]["id"]


@pytest.mark.vcr
def test_list_shows_every_scope_with_typed_columns(preo):
    df = preo.email_messages.list()
    assert list(df["scope"].cat.categories) == list(contract.enum("EmailMessageScope"))
    assert set(df["scope"]) == {"platform", "template", "edition"}
    assert list(df["type"].cat.categories) == list(contract.enum("EmailMessageType"))
    assert df["organization_id"][df["scope"] == "platform"].isna().all()
    assert df["id"].dtype == "string" and str(df["created"].dtype) == "datetime64[ns, UTC]"
    assert df["created"].is_monotonic_decreasing


@pytest.mark.vcr
def test_list_filters_and_iterate(preo):
    org = my_organization(preo)
    mine = preo.email_messages.list(organization_id=org, ordering="title")
    assert set(mine["organization_id"]) == {org}
    assert mine["title"].tolist() == sorted(mine["title"], key=str.casefold)
    templates = preo.email_messages.list(scope="template", type="campaign")
    assert set(templates["scope"]) == {"template"} and set(templates["type"]) == {"campaign"}
    edition = first_edition(preo)["id"]
    assert set(preo.email_messages.list(edition_id=edition)["edition_id"]) == {edition}
    assert [m["id"] for m in preo.email_messages.iterate(scope="platform")] == (
        preo.email_messages.list(scope="platform")["id"].tolist()
    )


@pytest.mark.vcr
def test_retrieve_and_template_variables(preo):
    edition = first_edition(preo)
    message = preo.email_messages.retrieve(edition["transaction_receipt_email_id"])
    assert (message["scope"], message["edition_id"], message["type"]) == ("edition", edition["id"], "receipt_online")
    assert [b["position"] for b in message["content_blocks"]] == list(range(len(message["content_blocks"])))
    found = preo.email_messages.template_variables(message["id"])
    names = [v["name"] for v in found["variables"]]
    assert found["syntax"] == "{{ name }}"
    assert {"user.first_name", "edition.name", "order.order_number", "purchases"} <= set(names)
    assert "refund.amount" not in names


@pytest.mark.vcr
def test_preview_with_sample_data_and_a_context(preo):
    receipt = first_edition(preo)["transaction_receipt_email_id"]
    sample = preo.email_messages.preview(receipt)
    assert sample["language"] == "da" and "Alex" in sample["html"]
    mine = preo.email_messages.preview(receipt, language="en", context={"user": {"first_name": "Ann & Bo"}})
    assert mine["language"] == "en"
    assert "Thank you for your order, Ann &amp; Bo!" in mine["html"]
    assert "{{" not in mine["html"]


@pytest.mark.vcr
def test_create_update_duplicate_and_delete(preo):
    org = my_organization(preo)
    made = preo.email_messages.create(organization_id=org, title="Autumn news", type="campaign")
    assert (made["scope"], made["subject"]) == ("template", None)
    changed = preo.email_messages.update(made["id"], subject="News for {{ user.first_name }}")
    assert changed["subject"] == "News for {{ user.first_name }}" and changed["content_blocks"] == []
    copy = preo.email_messages.duplicate(made["id"])
    assert (copy["title"], copy["scope"], copy["subject"]) == ("Autumn news (copy)", "template", changed["subject"])
    assert preo.email_messages.duplicate(made["id"], title="Winter news")["title"] == "Winter news"
    assert preo.email_messages.delete(copy["id"]) is None
    with pytest.raises(preo_nb.NotFound):
        preo.email_messages.retrieve(copy["id"])


@pytest.mark.vcr
def test_adopt_a_platform_message_into_an_edition(preo):
    edition = first_edition(preo)
    source = preo.email_messages.retrieve(platform_message(preo, "refund_confirmation"))
    adopted = preo.email_messages.adopt(source["id"], edition_id=edition["id"])
    assert (adopted["scope"], adopted["edition_id"]) == ("edition", edition["id"])
    assert [b["content"] for b in adopted["content_blocks"]] == [b["content"] for b in source["content_blocks"]]
    with pytest.raises(preo_nb.Conflict) as info:
        preo.email_messages.adopt(adopted["id"], edition_id=edition["id"])
    assert info.value.code == "invalid_state"


@pytest.mark.vcr
def test_platform_and_used_messages_are_protected(preo):
    platform = platform_message(preo)
    for attempt in (
        lambda: preo.email_messages.update(platform, title="Mine"),
        lambda: preo.email_messages.duplicate(platform),
        lambda: preo.email_messages.delete(platform),
    ):
        with pytest.raises(preo_nb.Conflict) as info:
            attempt()
        assert info.value.code == "read_only"
    with pytest.raises(preo_nb.Conflict) as info:
        preo.email_messages.delete(first_edition(preo)["transaction_receipt_email_id"])
    assert info.value.code == "in_use"


@pytest.mark.vcr
def test_staff_previews_but_cannot_change(preo_as):
    staff = preo_as("staff")
    template = staff.email_messages.list(scope="template")["id"].iloc[0]
    assert staff.email_messages.preview(template)["html"].startswith("<!DOCTYPE html>")
    with pytest.raises(preo_nb.PermissionDenied):
        staff.email_messages.update(template, title="Mine")
