"""Segments: customers chosen by a CEL condition, calculated by Preo, exported as CSV."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from typing import Any, ClassVar, Literal, overload

import pandas as pd

from preo_nb import contract, frames
from preo_nb.checks import NOT_GIVEN, check_enum, check_id
from preo_nb.contract import Column
from preo_nb.resources._base import Resource, changes, filters_of, given, iterates
from preo_nb.resources.consents import check_text

Status = Literal["draft", "pending", "processing", "completed", "failed"]
CommunicationType = Literal["transactional", "marketing"]
Channel = Literal["any", "email", "sms", "pass_push"]
Ordering = Literal[
    "created",
    "-created",
    "modified",
    "-modified",
    "name",
    "-name",
    "user_count",
    "-user_count",
    "last_calculated",
    "-last_calculated",
]
EXPORT_COLUMNS = ("user_id", "email", "first_name", "last_name", "phone_number")


def _definition(**fields: Any) -> dict[str, Any]:
    """Check the definition fields that were passed (enums, ids, the condition's type)."""
    enums = (("communication_type", "CommunicationType"), ("communication_channel", "CommunicationChannel"))
    for name, schema in enums:
        if fields.get(name) not in (None, NOT_GIVEN):
            check_enum(fields[name], name, contract.enum(schema))
    for name in ("edition_id", "consent_id"):
        if fields.get(name) not in (None, NOT_GIVEN):
            check_id(fields[name], name)
    for name in ("name", "condition"):
        if fields.get(name) not in (None, NOT_GIVEN):
            check_text(fields[name], name)
    return fields


def csv_frame(text: str) -> pd.DataFrame:
    """Parse a segment export into a DataFrame of ``string`` columns (empty cells are <NA>)."""
    reader = csv.DictReader(io.StringIO(text))
    header = reader.fieldnames or list(EXPORT_COLUMNS)
    rows = [{k: (v or None) for k, v in row.items()} for row in reader]
    return frames.to_frame(rows, [Column(name, "string") for name in header])


class Segments(Resource):
    """Customer segments (``preo.segments``)."""

    PATHS: ClassVar[dict[str, str]] = {
        "list": "/v1/segments",
        "create": "/v1/segments",
        "cel_context": "/v1/segments/cel-context",
        "validate_cel": "/v1/segments/validate-cel",
        "retrieve": "/v1/segments/{id}",
        "update": "/v1/segments/{id}",
        "delete": "/v1/segments/{id}",
        "export_csv": "/v1/segments/{id}/export-csv",
        "recalculate": "/v1/segments/{id}/recalculate",
        "reset_to_draft": "/v1/segments/{id}/reset-to-draft",
    }

    def list(
        self,
        *,
        organization_id: str | None = None,
        edition_id: str | None = None,
        status: Status | None = None,
        communication_type: CommunicationType | None = None,
        communication_channel: Channel | None = None,
        search: str | None = None,
        ordering: Ordering | None = None,
        progress: bool | None = None,
    ) -> pd.DataFrame:
        """List segments, newest first, as a DataFrame (every page).

        Args:
            search: Substring of the segment name.
            ordering: Sort key, ``-`` for descending; default ``-created``.

        Returns:
            One row per segment: ``id``, ``name``, ``condition``, ``status``, ``user_count``,
            ``last_calculated``, ``communication_type``, ``communication_channel``...
        """
        filters = filters_of(locals())
        return self._list("segments_list", filters, progress)

    @iterates(list)
    def iterate(self, **filters: Any) -> Iterator[dict[str, Any]]:
        """Yield segments one by one, reading pages as needed."""
        return self._iterate("segments_list", given(**filters))

    def retrieve(self, id: str) -> dict[str, Any]:
        """Fetch one segment (a queued calculation moves on as Preo works on it)."""
        return self._get(self._path("retrieve", id))

    def create(
        self,
        *,
        organization_id: str,
        name: str,
        condition: str,
        edition_id: str | None = None,
        consent_id: str | None = None,
        description: str | None = None,
        communication_type: CommunicationType | None = None,
        communication_channel: Channel | None = None,
    ) -> dict[str, Any]:
        """Create a draft segment; nothing is calculated until ``recalculate``.

        Args:
            organization_id: The owner (``org_...``); its customers are the candidates.
            name: Display name.
            condition: CEL, e.g. ``'has_product_type("drink") && total_spent() > 50.0'``;
                see ``cel_context()`` for the names it may use. An invalid one is a
                ``BadRequest`` on ``condition``.
            edition_id: The edition whose purchases and orders the condition sees;
                default: every edition of the organization.
            consent_id: The consent members must have granted (marketing only).
            communication_type: ``marketing`` (default; needs the consent) or ``transactional``.
            communication_channel: Keep members reachable by ``email``, ``sms``,
                ``pass_push`` (an active wallet pass) or ``any`` (default).
        """
        _definition(
            name=name,
            condition=condition,
            edition_id=edition_id,
            consent_id=consent_id,
            communication_type=communication_type,
            communication_channel=communication_channel,
        )
        body = given(
            organization_id=check_id(organization_id, "organization_id"),
            name=name,
            condition=condition,
            edition_id=edition_id,
            consent_id=consent_id,
            description=description,
            communication_type=communication_type,
            communication_channel=communication_channel,
        )
        return self._post(self.PATHS["create"], body)

    def update(
        self,
        id: str,
        *,
        name: str = NOT_GIVEN,
        description: str | None = NOT_GIVEN,
        condition: str = NOT_GIVEN,
        edition_id: str | None = NOT_GIVEN,
        consent_id: str | None = NOT_GIVEN,
        communication_type: CommunicationType = NOT_GIVEN,
        communication_channel: Channel = NOT_GIVEN,
    ) -> dict[str, Any]:
        """Change the fields you pass; changing the definition sends the segment back to draft.

        Refused (``Conflict``) while a calculation is pending or processing.
        """
        body = changes(
            **_definition(
                name=name,
                description=description,
                condition=condition,
                edition_id=edition_id,
                consent_id=consent_id,
                communication_type=communication_type,
                communication_channel=communication_channel,
            )
        )
        return self._patch(self._path("update", id), body)

    def delete(self, id: str) -> None:
        """Delete a segment.

        Raises:
            Conflict: ``invalid_state`` while calculating; ``in_use`` while a
                scheduled or running campaign targets it.
        """
        self._http.request("DELETE", self._path("delete", id))

    def recalculate(self, id: str) -> dict[str, Any]:
        """Queue a calculation: the segment becomes ``pending``; follow it with ``wait``."""
        return self._post(
            self._path("recalculate", id),
            reconcile=self._when(
                self._path("retrieve", id), lambda segment: segment["status"] in ("pending", "processing")
            ),
        )

    def reset_to_draft(self, id: str) -> dict[str, Any]:
        """Move a segment stuck in ``pending``/``processing`` back to ``draft``."""
        return self._post(
            self._path("reset_to_draft", id),
            reconcile=self._when(self._path("retrieve", id), lambda segment: segment["status"] == "draft"),
        )

    @overload
    def export_csv(self, id: str, *, raw: Literal[False] = ...) -> pd.DataFrame: ...

    @overload
    def export_csv(self, id: str, *, raw: Literal[True]) -> str: ...

    def export_csv(self, id: str, *, raw: bool = False) -> pd.DataFrame | str:
        """Download the members of the last completed calculation.

        Args:
            raw: Return the CSV text as sent instead of a DataFrame.

        Returns:
            One row per member: ``user_id``, ``email``, ``first_name``, ``last_name``,
            ``phone_number`` (all ``string``; a missing e-mail or phone is <NA>).

        Raises:
            Conflict: ``invalid_state`` unless the segment is ``completed``.
        """
        response = self._http.request(
            "GET", self._path("export_csv", id), raw=True, accept=", ".join(contract.media_types("segments_export_csv"))
        )
        text: str = response.content.decode("utf-8-sig")
        return text if raw else csv_frame(text)

    def cel_context(self, *, edition_id: str | None = None, organization_id: str | None = None) -> dict[str, Any]:
        """Describe what a condition may use, as a dict (its lists are short).

        Returns:
            ``{"variables": [{name, type, description}], "functions": [{name, syntax,
            description, example}], "products": [{id, name, category_ids}] (the
            edition's; empty without ``edition_id``), "dynamic_values":
            {"product_types": [...], "purchase_statuses": [...]}}``. Wrap a list in
            ``pandas.DataFrame(...)`` to browse it.
        """
        params = given(edition_id=edition_id, organization_id=organization_id)
        for name, value in params.items():
            check_id(value, name)
        return self._get(self.PATHS["cel_context"], params)

    def validate_cel(self, condition: str, *, edition_id: str | None = None) -> dict[str, Any]:
        """Check a condition without saving anything (staff may do it).

        Returns:
            ``{"valid": bool, "error": first message or None, "errors": [{message,
            line, column}]}``; an invalid condition is a normal answer, not an error.
        """
        if not isinstance(condition, str):
            check_text(condition, "condition")
        body: dict[str, Any] = {"condition": condition}
        if edition_id is not None:
            body["edition_id"] = check_id(edition_id, "edition_id")
        return self._post(self.PATHS["validate_cel"], body, safe=True)

    def wait(
        self, id: str, *, timeout: float = 300, interval: float = 2.0, progress: bool | None = None
    ) -> dict[str, Any]:
        """Retrieve a segment until its calculation ends (``completed`` or ``failed``).

        A ``draft`` segment is returned at once: nothing is calculating (call
        ``recalculate`` first).

        Raises:
            WaitTimeout: Still calculating after ``timeout`` seconds.
        """
        return self._wait(
            "retrieve",
            id,
            field="status",
            done=("completed", "failed", "draft"),
            timeout=timeout,
            interval=interval,
            progress=progress,
        )
