"""Email messages: Preo's platform set, organization templates and editions' own messages."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any, ClassVar, Literal

import pandas as pd

from preo_nb import contract
from preo_nb.checks import NOT_GIVEN, check_enum, check_id
from preo_nb.errors import PreoValidationError
from preo_nb.resources._base import Resource, changes, filters_of, given, iterates

MessageType = Literal[
    "receipt",
    "receipt_online",
    "reminder",
    "refund_confirmation",
    "user_portal_access",
    "campaign",
    "other",
]
Scope = Literal["platform", "template", "edition"]
WritableScope = Literal["template", "edition"]
Layout = Literal["modern"]
Language = Literal["en", "da", "se", "nl", "pl"]
Ordering = Literal["created", "-created", "modified", "-modified", "title", "-title"]


def _title(value: Any, name: str = "title") -> str:
    if not isinstance(value, str) or not value.strip():
        raise PreoValidationError(name, f"must be a non-empty string, not {value!r}")
    return value


def _enum(value: Any, name: str, schema: str) -> Any:
    """Check an optional enum argument against the contract (``None``/``NOT_GIVEN`` pass)."""
    if value is None or value is NOT_GIVEN:
        return value
    return check_enum(value, name, contract.enum(schema))


class EmailMessages(Resource):
    """Email messages (``preo.email_messages``).

    Scopes: ``platform`` messages belong to Preo (everyone may read them, nobody
    may change them; ``adopt`` one to get an editable copy), ``template`` messages
    to an organization, ``edition`` messages to one edition. Subjects and text
    blocks may use variables written ``{{ user.first_name }}``; ``template_variables``
    lists them and ``preview`` renders a message with sample data.
    """

    PATHS: ClassVar[dict[str, str]] = {
        "list": "/v1/email-messages",
        "create": "/v1/email-messages",
        "retrieve": "/v1/email-messages/{id}",
        "update": "/v1/email-messages/{id}",
        "delete": "/v1/email-messages/{id}",
        "adopt": "/v1/email-messages/{id}/adopt",
        "duplicate": "/v1/email-messages/{id}/duplicate",
        "preview": "/v1/email-messages/{id}/preview",
        "template_variables": "/v1/email-messages/{id}/template-variables",
    }

    def list(
        self,
        *,
        organization_id: str | None = None,
        edition_id: str | None = None,
        scope: Scope | None = None,
        type: MessageType | None = None,
        ordering: Ordering | None = None,
        progress: bool | None = None,
    ) -> pd.DataFrame:
        """List the messages you can see, platform messages included, as a DataFrame (every page).

        Args:
            organization_id: Only this organization's messages (platform messages are left out).
            edition_id: Only the messages of this edition.
            scope: ``platform``, ``template`` or ``edition``.
            type: The purpose, e.g. ``receipt`` or ``campaign``.
            ordering: ``created``, ``modified`` or ``title``; a leading ``-`` sorts descending.
            progress: Show a progress bar (default: when several pages are read).

        Returns:
            One row per message: ``id``, ``title``, ``subject``, ``type``, ``scope``,
            ``template``, ``organization_id``, ``edition_id``, ``created``, ``modified``.
        """
        filters = filters_of(locals())
        return self._list("email_messages_list", filters, progress)

    @iterates(list)
    def iterate(self, **filters: Any) -> Iterator[dict[str, Any]]:
        """Yield messages one by one, reading pages as needed (same filters as ``list``)."""
        return self._iterate("email_messages_list", given(**filters))

    def retrieve(self, id: str) -> dict[str, Any]:
        """Fetch one message with its ``content_blocks`` (in position order)."""
        return self._get(self._path("retrieve", id))

    def create(
        self,
        *,
        organization_id: str,
        title: str,
        type: MessageType,
        edition_id: str | None = None,
        scope: WritableScope | None = None,
        template: Layout | None = None,
    ) -> dict[str, Any]:
        """Create an empty message (no subject, no blocks) in an organization where you are admin or manager.

        Args:
            organization_id: The owner.
            title: Internal name.
            type: The purpose, e.g. ``receipt`` or ``campaign``.
            edition_id: The edition of an edition message.
            scope: ``edition`` (needs ``edition_id``) or ``template``; default
                ``edition`` when ``edition_id`` is given, else ``template``.
            template: The layout (only ``modern`` exists).
        """
        check_enum(type, "type", contract.enum("EmailMessageType"))
        _enum(scope, "scope", "EmailMessageWritableScope")
        _enum(template, "template", "EmailLayoutTemplate")
        if scope == "edition" and edition_id is None:
            raise PreoValidationError("edition_id", "is required for scope='edition'")
        if scope == "template" and edition_id is not None:
            raise PreoValidationError("edition_id", "a template belongs to no edition; leave edition_id out")
        body = given(
            organization_id=check_id(organization_id, "organization_id"),
            title=_title(title),
            type=type,
            edition_id=None if edition_id is None else check_id(edition_id, "edition_id"),
            scope=scope,
            template=template,
        )
        return self._post(self.PATHS["create"], body)

    def update(
        self,
        id: str,
        *,
        title: str = NOT_GIVEN,
        subject: str | None = NOT_GIVEN,
        type: MessageType = NOT_GIVEN,
        template: Layout = NOT_GIVEN,
    ) -> dict[str, Any]:
        """Change the fields you pass (``subject=None`` clears it); platform messages cannot change.

        Returns:
            The message with its blocks.
        """
        if title is not NOT_GIVEN:
            _title(title)
        _enum(type, "type", "EmailMessageType")
        _enum(template, "template", "EmailLayoutTemplate")
        return self._patch(
            self._path("update", id), changes(title=title, subject=subject, type=type, template=template)
        )

    def delete(self, id: str) -> None:
        """Delete a template or edition message.

        Raises:
            Conflict: ``read_only`` for platform messages; ``in_use`` while an edition
                (receipt or refund confirmation) or an unfinished campaign uses it.
        """
        self._http.request("DELETE", self._path("delete", id))

    def adopt(self, id: str, *, edition_id: str) -> dict[str, Any]:
        """Copy a platform or template message, blocks included, into an edition; returns the copy.

        Raises:
            Conflict: ``invalid_state`` when the message already belongs to an edition
                (use ``duplicate``).
        """
        return self._post(self._path("adopt", id), {"edition_id": check_id(edition_id, "edition_id")})

    def duplicate(self, id: str, *, title: str | None = None, edition_id: str | None = None) -> dict[str, Any]:
        """Copy a template or edition message in its own scope, titled "<title> (copy)" unless ``title`` is given.

        Args:
            title: The copy's title.
            edition_id: For an edition message: put the copy in this edition of the same organization.

        Raises:
            Conflict: ``read_only`` for platform messages (use ``adopt``).
        """
        body = given(
            title=None if title is None else _title(title),
            edition_id=None if edition_id is None else check_id(edition_id, "edition_id"),
        )
        return self._post(self._path("duplicate", id), body)

    def preview(
        self, id: str, *, language: Language | None = None, context: Mapping[str, Any] | None = None
    ) -> dict[str, Any]:
        """Render a message's subject and HTML with sample data; nothing is sent.

        Args:
            language: The content language; default the edition's, else English. A
                language the message has no text in falls back the same way.
            context: Values that replace the sample data, keyed by variable name:
                ``{"user.first_name": "Ann"}`` or nested ``{"user": {"first_name": "Ann"}}``.
                Variables without a value stay as written (``{{ name }}``).

        Returns:
            ``{"subject", "html", "language"}``: ``html`` is a whole document (show it
            with ``IPython.display.HTML``); ``language`` is the one used.
        """
        _enum(language, "language", "Language")
        if context is not None and not isinstance(context, Mapping):
            raise PreoValidationError("context", f"must be a dict of variable values, not {type(context).__name__}")
        body = given(language=language, context=None if context is None else dict(context))
        return self._post(self._path("preview", id), body, safe=True)

    def template_variables(self, id: str) -> dict[str, Any]:
        """Return the variables this message's type may use.

        Returns:
            ``{"type", "syntax": "{{ name }}", "variables": [{"name", "description", "example"}]}``;
            ``pd.DataFrame(result["variables"])`` shows them as a table.
        """
        return self._get(self._path("template_variables", id))
