"""EmailPreview: the safe iframe and the values, then previews, adoption and copies on the live sandbox."""

from html.parser import HTMLParser

import pytest

from preo_nb.widgets import EmailPreview
from preo_nb.widgets.email_render import (
    actions_for,
    context_from,
    iframe,
    language_options,
    languages_in,
    variables_table,
)

from .helpers import text

HOSTILE = """<!DOCTYPE html><p title="a 'quoted' value">Fish &amp; chips</p>
"><script>parent.alert(1)</script></iframe><img src=x onerror="alert(2)">"""


class Frames(HTMLParser):
    """Collects the attributes of every iframe and every other tag of a page."""

    def __init__(self):
        super().__init__()
        self.frames, self.tags = [], []

    def handle_starttag(self, tag, attrs):
        (self.frames if tag == "iframe" else self.tags).append(dict(attrs))


def parse(markup):
    parser = Frames()
    parser.feed(markup)
    return parser


def test_the_iframe_holds_the_document_whole_and_sandboxed():
    page = parse(iframe(HOSTILE))
    [frame] = page.frames
    assert frame["srcdoc"] == HOSTILE  # escaped on the way in, decoded back exactly by the browser
    assert frame["sandbox"] == ""  # present and empty: no scripts, forms, popups or navigation
    assert page.tags == []  # nothing of the document leaked out of the attribute


def test_the_variables_table_escapes_what_it_shows():
    shown = variables_table(
        [{"name": "user.first_name", "description": "<b>name</b>", "example": "Alex"}], {"user.first_name": "<script>"}
    )
    assert "<script>" not in shown and "&lt;script&gt;" in shown and "&lt;b&gt;name" in shown


def test_only_filled_values_replace_the_samples():
    assert context_from({"user.first_name": "Ann", "order.amount": " ", "edition.name": ""}) == {
        "user.first_name": "Ann"
    }


def test_languages_with_text_are_marked_and_the_default_comes_first():
    message = {"content_blocks": [{"content": {"text": {"en": "Hi", "da": "Hej"}}}, {"content": {"height": 4}}]}
    assert languages_in(message) == ["en", "da"]
    options = language_options(["en"])
    assert options[0] == ("Edition's default", None)
    assert ("English (en) ✓", "en") in options and ("Danish (da) (falls back)", "da") in options


@pytest.mark.parametrize(
    ("scope", "adopt", "duplicate"),
    [
        ("platform", True, False),
        ("template", True, True),
        ("edition", False, True),
    ],
)
def test_adopt_and_duplicate_follow_the_scope(scope, adopt, duplicate):
    assert actions_for(scope) == (adopt, duplicate)


@pytest.fixture
def receipt(live, sandbox):
    """The receipt of organization 1's coming festival (text in English and Danish)."""
    edition = sandbox.store.edition(org=1, n=2)
    return live.email_messages.list(type="receipt", edition_id=edition["id"]).iloc[0].to_dict()


def test_renders_the_message_with_its_samples(live, receipt):
    form = EmailPreview(live, receipt["id"])
    expected = live.email_messages.preview(receipt["id"])
    assert f"Subject: {expected['subject']} ({expected['language']})" in text(form.subject)
    assert parse(form.frame.value).frames[0]["srcdoc"] == expected["html"]
    variables = live.email_messages.template_variables(receipt["id"])["variables"]
    assert list(form.fields) == [v["name"] for v in variables]
    assert [box.value for box in form.fields.values()] == [v["example"] for v in variables]
    assert text(form.variables).startswith("Variable Meaning Sample Rendered with {{ user.first_name }}")


def test_typed_values_and_the_language_change_the_rendering(live, receipt):
    form = EmailPreview(live, receipt["id"])
    form.fields["user.first_name"].value = "Ingrid <3"
    form.render.click()
    assert "Ingrid &lt;3" in form.preview_result["html"]  # Preo escapes the value in its HTML
    assert "Ingrid &lt;3" in parse(form.frame.value).frames[0]["srcdoc"]
    assert ("Danish (da) ✓", "da") in form.language.options
    form.language.value = "da"
    assert form.preview_result["language"] == "da"
    assert (
        live.email_messages.preview(receipt["id"], language="da", context={"user.first_name": "Ingrid <3"})
        == form.preview_result
    )


def test_adopts_a_platform_message_into_an_edition(live, sandbox):
    platform = live.email_messages.list(scope="platform").iloc[0].to_dict()
    form = EmailPreview(live, platform["id"])
    assert not form.adopt.disabled and form.duplicate.disabled
    edition = sandbox.store.edition(org=1, n=2)
    form.edition.value = edition["id"]
    form.adopt.click()
    copy = live.email_messages.retrieve(form.message.value)
    assert (copy["scope"], copy["edition_id"], copy["title"]) == ("edition", edition["id"], platform["title"])
    assert f"Adopted into {edition['full_name']}" in text(form.status)
    assert form.adopt.disabled and not form.duplicate.disabled  # the copy is an edition message


def test_duplicates_a_message_with_a_new_title(live, receipt):
    form = EmailPreview(live, receipt["id"])
    form.title.value = "Receipt, winter version"
    form.duplicate.click()
    copy = live.email_messages.retrieve(form.message.value)
    assert copy["id"] != receipt["id"] and copy["title"] == "Receipt, winter version"
    assert "Duplicated" in text(form.status)
    assert text(form.subject).startswith("Subject:")


def test_a_refusal_shows_in_the_form(live, sandbox, receipt):
    form = EmailPreview(live, receipt["id"])
    form.adopt.disabled = False  # even if someone forced the button: Preo refuses, the form says why
    form.adopt.click()
    assert "Conflict" in text(form.status)
