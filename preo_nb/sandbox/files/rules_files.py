"""The media library's rules: where a file is used, what deleting it clears, tags.

A file is in use when an edition's ``meta_image_id`` names it or a product's
image is its URL (README 4.7: delete refuses with 409 ``in_use`` unless
``force=true``, which also clears those references). Another group whose
objects refer to files appends a finder to ``USAGE_FINDERS``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import quote

from preo_nb.sandbox.files.models import Store, StoredFile

Json = dict[str, Any]
MEDIA_URL = "https://media.sandbox.preo.dev/files"


def _editions_using(sandbox: Store, record: StoredFile) -> list[Json]:
    return [
        {"model": "edition", "api_id": e.id, "name": e.name}
        for e in sandbox.data.editions.values()
        if e.meta_image_id == record.id
    ]


def _products_using(sandbox: Store, record: StoredFile) -> list[Json]:
    return [
        {"model": "product", "api_id": p.id, "name": p.name}
        for p in sandbox.data.products.values()
        if p.image == record.file_url
    ]


USAGE_FINDERS: list[Callable[[Store, StoredFile], list[Json]]] = [_editions_using, _products_using]
"""Functions returning the FileUsage objects that refer to a file."""


def usages(sandbox: Store, record: StoredFile) -> list[Json]:
    """Return every FileUsage of a file."""
    return [usage for finder in USAGE_FINDERS for usage in finder(sandbox, record)]


def release(sandbox: Store, record: StoredFile) -> None:
    """Clear the references to a file that is deleted while in use."""
    for edition in sandbox.data.editions.values():
        if edition.meta_image_id == record.id:
            edition.meta_image_id = None
            edition.modified = sandbox.now()
    for product in sandbox.data.products.values():
        if product.image == record.file_url:
            product.image = None


def clean_tags(tags: list[str]) -> list[str]:
    """Strip tags, drop empty ones and repeats (first spelling kept)."""
    found: dict[str, str] = {}
    for tag in tags:
        tag = tag.strip()
        if tag and tag.casefold() not in found:
            found[tag.casefold()] = tag
    return list(found.values())


def add_file(sandbox: Store, org_id: str, file_name: str, size: int, tags: list[str], url: str = "") -> StoredFile:
    """Store a new file record (the views and the seeder both add files here)."""
    now = sandbox.now()
    file_id = sandbox.new_id("fil_")
    record = StoredFile(
        id=file_id,
        organization_id=org_id,
        file_name=file_name,
        file_url=url or f"{MEDIA_URL}/{file_id}/{quote(file_name)}",
        size=size,
        created_at=now,
        updated_at=now,
        tags=clean_tags(tags),
    )
    sandbox.data.files[record.id] = record
    return record
