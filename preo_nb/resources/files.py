"""Files: the organizations' media library (images for editions, products, emails)."""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import IO, Any, ClassVar, Literal

import pandas as pd

from preo_nb import _pages
from preo_nb._http import HTTP
from preo_nb.checks import NOT_GIVEN, check_id
from preo_nb.errors import PreoValidationError
from preo_nb.resources._base import Resource, changes, given, iterates

Ordering = Literal["created_at", "-created_at", "updated_at", "-updated_at", "file_name", "-file_name"]
FileSource = str | os.PathLike[str] | bytes | IO[bytes]
"""What an upload accepts: a path, the bytes, or a binary file object."""


def read_source(source: Any, name: str) -> tuple[bytes, str | None]:
    """Return the bytes of a path, bytes or binary file object, and its file name if known.

    Raises:
        PreoValidationError: ``name`` is not one of those, is empty, or names no file.
    """
    if isinstance(source, bytes | bytearray):
        content, file_name = bytes(source), None
    elif isinstance(source, str | os.PathLike):
        path = Path(source)
        if not path.is_file():
            raise PreoValidationError(name, f"no file at {str(path)!r}")
        content, file_name = path.read_bytes(), path.name
    elif hasattr(source, "read"):
        content = source.read()
        if not isinstance(content, bytes):
            raise PreoValidationError(name, "open the file in binary mode ('rb')")
        file_name = Path(str(getattr(source, "name", ""))).name or None
    else:
        raise PreoValidationError(name, f"must be a path, bytes or a binary file, not {type(source).__name__}")
    if not content:
        raise PreoValidationError(name, "the file is empty")
    return content, file_name


def read_pages(
    http: HTTP, path: str, query: dict[str, Any], desc: str, progress: bool | None
) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """Read every page of a list; return the records and the first page's other fields.

    For lists whose first page carries more than records (available fields, required
    fields). Pages are read as ``preo_nb._pages`` reads every list: checked, never short.
    """

    def whole() -> tuple[list[dict[str, Any]], dict[str, Any]]:
        first: dict[str, Any] = {}
        records = [r for page in _pages.read(http, path, query, progress=progress, first=first) for r in page]
        return records, first

    return _pages.read_whole(whole, path)


def check_tags(tags: Any) -> list[str] | None:
    """Return tags as a list of non-empty strings (a comma-separated string is split)."""
    if tags is None or tags is NOT_GIVEN:
        return tags
    if isinstance(tags, str):
        tags = tags.split(",")
    if not all(isinstance(tag, str) for tag in tags):
        raise PreoValidationError("tags", "must be strings")
    return [tag.strip() for tag in tags if tag.strip()]


class Files(Resource):
    """Media files (``preo.files``): upload, tag, see where each is used, delete."""

    PATHS: ClassVar[dict[str, str]] = {
        "list": "/v1/files",
        "create": "/v1/files",
        "retrieve": "/v1/files/{id}",
        "update": "/v1/files/{id}",
        "delete": "/v1/files/{id}",
    }

    def list(
        self,
        *,
        organization_id: str | None = None,
        file_name: str | None = None,
        tags: str | Sequence[str] | None = None,
        created_after: Any = None,
        created_before: Any = None,
        ordering: Ordering | None = None,
        progress: bool | None = None,
    ) -> pd.DataFrame:
        """List files, newest first, as a DataFrame (every page).

        Args:
            organization_id: Only this organization's files.
            file_name: Case-insensitive part of the file name.
            tags: Files with any of these tags (a list, or one comma-separated string).
            created_after: Created at or after this date or datetime (naive = UTC).
            created_before: Created before this date or datetime.
            ordering: Sort key; a leading ``-`` sorts descending.
            progress: Show a progress bar (default: when several pages are read).

        Returns:
            One row per file: ``api_id``, ``file_name``, ``organization_id``, ``file_url``,
            ``created_at``, ``updated_at``, ``usages`` (list), ``tags`` (list)... Every tag
            in use on the files you can see is in ``df.attrs["available_tags"]``.
        """
        query = self._query(organization_id, file_name, tags, created_after, created_before, ordering)
        first: dict[str, Any] = {}

        def tagged(df: pd.DataFrame) -> pd.DataFrame:
            df.attrs["available_tags"] = list(first.get("available_tags", []))
            return df

        return self._list("files_list", query, progress, first=first, finish=tagged)

    @iterates(list)
    def iterate(self, **filters: Any) -> Iterator[dict[str, Any]]:
        """Yield files one by one, reading pages as needed."""
        return self._iterate("files_list", self._query(**filters))

    def _query(
        self,
        organization_id: Any = None,
        file_name: Any = None,
        tags: Any = None,
        created_after: Any = None,
        created_before: Any = None,
        ordering: Any = None,
    ) -> dict[str, Any]:
        """The filters of ``list``/``iterate``, tags joined; ``_list``/``_iterate`` check them against the contract."""
        joined = None if tags is None else ",".join(check_tags(tags) or []) or None
        return given(
            organization_id=organization_id,
            file_name=file_name,
            tags=joined,
            created_after=created_after,
            created_before=created_before,
            ordering=ordering,
        )

    def retrieve(self, id: str) -> dict[str, Any]:
        """Fetch one file, with ``usages``: the editions, products... that use it."""
        return self._get(self._path("retrieve", id))

    def create(
        self,
        *,
        organization_id: str,
        file: FileSource,
        file_name: str | None = None,
        tags: str | Sequence[str] | None = None,
    ) -> dict[str, Any]:
        """Upload a file into an organization's library (admin or manager), as multipart form data.

        Args:
            organization_id: The owner.
            file: A path, the bytes, or a file opened with ``"rb"``.
            file_name: The name to store; required when ``file`` is bytes, else
                the path's or file object's name.
            tags: Tags to find it by (a list, or one comma-separated string).

        Returns:
            The stored file; its ``file_url`` is where it can be downloaded.
        """
        content, known_name = read_source(file, "file")
        name = file_name or known_name
        if not name:
            raise PreoValidationError("file_name", "is required when the file is given as bytes")
        fields = [("organization_id", check_id(organization_id, "organization_id")), ("file_name", name)]
        fields += [("tags", tag) for tag in check_tags(tags) or []]
        made: dict[str, Any] = self._http.request(
            "POST", self.PATHS["create"], data=fields, files={"file": (name, content, "application/octet-stream")}
        )
        return made

    def update(
        self,
        id: str,
        *,
        image_alt_text: str | None = NOT_GIVEN,
        caption: str | None = NOT_GIVEN,
        copyright: str | None = NOT_GIVEN,
        tags: str | Sequence[str] = NOT_GIVEN,
    ) -> dict[str, Any]:
        """Change a file's description or tags; ``tags`` replaces the list, ``None`` clears a text."""
        body = changes(image_alt_text=image_alt_text, caption=caption, copyright=copyright, tags=check_tags(tags))
        return self._patch(self._path("update", id), body)

    def delete(self, id: str, *, force: bool = False) -> None:
        """Delete a file.

        Args:
            id: The file's ``api_id``.
            force: Delete it even while editions or products use it (they lose the image).

        Raises:
            Conflict: The file is in use (code ``in_use``) and ``force`` is False.
        """
        if not isinstance(force, bool):
            raise PreoValidationError("force", f"must be True or False, not {force!r}")
        self._http.request("DELETE", self._path("delete", id), params={"force": "true"} if force else None)
