"""Files: the organizations' media library, and where each file is used.

A file is in use when an edition's ``meta_image_id`` names it or a product's
image is its URL (README 4.7: delete refuses with 409 ``in_use`` unless
``force=true``, which also clears those references). Another group whose
objects refer to files appends a finder to ``USAGE_FINDERS``.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable
from operator import attrgetter
from typing import Any
from urllib.parse import quote

from flask import request

from preo_nb.sandbox import listing
from preo_nb.sandbox import render_files as render
from preo_nb.sandbox.access import READ, WRITE
from preo_nb.sandbox.errors import conflict, field_error, forbidden, invalid
from preo_nb.sandbox.models_files import StoredFile
from preo_nb.sandbox.store import Store
from preo_nb.sandbox.web import Group, caller, get_or_404, read_body, store

group = Group("Files")
Json = dict[str, Any]
MEDIA_URL = "https://media.sandbox.preo.dev/files"
MAX_BYTES = 20 * 1024 * 1024
ORDERING = {key: attrgetter(key) for key in ("created_at", "updated_at", "file_name")}
UPDATABLE = ("image_alt_text", "caption", "copyright", "tags")


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
        id=file_id, organization_id=org_id, file_name=file_name,
        file_url=url or f"{MEDIA_URL}/{file_id}/{quote(file_name)}", size=size,
        created_at=now, updated_at=now, tags=clean_tags(tags),
    )
    sandbox.data.files[record.id] = record
    return record


def _render(record: StoredFile) -> Json:
    return render.file(record, usages(store(), record))


def _get(file_id: str, need: str) -> StoredFile:
    record = get_or_404(store().data.files, file_id)
    caller().require(record.organization_id, need)
    return record


@group.view
def files_list() -> Json:
    """List files, newest first, plus every tag in use on the files the caller sees."""
    values = listing.filters("files_list")
    visible = [f for f in store().data.files.values() if f.organization_id in caller().orgs(READ)]
    orgs = listing.scoped_orgs(caller(), values)
    found = [f for f in visible if f.organization_id in orgs and _matches(f, values)]
    page = listing.paginate(listing.ordered("files_list", found, ORDERING, default="-created_at"), _render)
    page["available_tags"] = sorted({t for f in visible for t in f.tags}, key=str.casefold)
    return page


def _matches(record: StoredFile, values: Json) -> bool:
    wanted = {t.strip().casefold() for t in values.get("tags", "").split(",") if t.strip()}
    return (
        listing.contains(record.file_name, values.get("file_name", ""))
        and (not wanted or bool(wanted & {t.casefold() for t in record.tags}))
        and ("created_after" not in values or record.created_at >= values["created_after"])
        and ("created_before" not in values or record.created_at < values["created_before"])
    )


@group.view
def files_create() -> tuple[Json, int]:
    """Store a file sent as multipart (``file``) or as JSON with ``file_base64``."""
    if request.mimetype == "multipart/form-data":
        org_id, file_name, content, tags = _multipart()
    else:
        org_id, file_name, content, tags = _base64_body()
    if caller().role_in(org_id) is None:
        raise field_error("organization_id", f'Invalid pk "{org_id}" - object does not exist.')
    if not caller().can(org_id, WRITE):
        raise forbidden()
    return _render(add_file(store(), org_id, file_name, len(content), tags)), 201


def _multipart() -> tuple[str, str, bytes, list[str]]:
    upload = request.files.get("file")
    org_id = request.form.get("organization_id", "")
    if upload is None or not org_id:
        missing = {"file": ["No file was submitted."]} if upload is None else {}
        raise invalid(missing | ({} if org_id else {"organization_id": ["This field is required."]}))
    content = upload.read()
    name = request.form.get("file_name") or upload.filename or ""
    tags = [t for value in request.form.getlist("tags") for t in value.split(",")]
    return org_id, _file_name(name, "file"), _content(content, "file"), tags


def _base64_body() -> tuple[str, str, bytes, list[str]]:
    body = read_body("files_create")
    try:
        content = base64.b64decode(body["file_base64"], validate=True)
    except (binascii.Error, ValueError):
        raise field_error("file_base64", "Invalid base64-encoded data.") from None
    name = _file_name(body["file_name"], "file_name")
    return body["organization_id"], name, _content(content, "file_base64"), list(body.get("tags", []))


def _file_name(name: str, field: str) -> str:
    """Keep the last path segment of a file name; refuse an empty or overlong one."""
    name = name.replace("\\", "/").rsplit("/", 1)[-1].strip()
    if not name or len(name) > 255:
        raise field_error(field, "Ensure the file name has 1 to 255 characters.")
    return name


def _content(content: bytes, field: str) -> bytes:
    if not content:
        raise field_error(field, "The submitted file is empty.")
    if len(content) > MAX_BYTES:
        raise field_error(field, f"Ensure the file is at most {MAX_BYTES // (1024 * 1024)} MB.")
    return content


@group.view
def files_retrieve(file_id: str) -> Json:
    """Return one file and where it is used."""
    return _render(_get(file_id, READ))


@group.view
def files_update(file_id: str) -> Json:
    """Change alt text, caption, copyright or tags (the tag list is replaced)."""
    record = _get(file_id, WRITE)
    body = read_body("files_update")
    for key in UPDATABLE:
        if key in body:
            setattr(record, key, clean_tags(body[key]) if key == "tags" else body[key])
    record.updated_at = store().now()
    return _render(record)


@group.view
def files_delete(file_id: str) -> tuple[str, int]:
    """Delete a file; one in use only with ``force=true``, which clears its references."""
    record = _get(file_id, WRITE)
    force = listing.filters("files_delete").get("force", False)
    used = usages(store(), record)
    if used and not force:
        names = ", ".join(f"{u['model']} {u['api_id']}" for u in used[:5])
        raise conflict(f"The file is in use ({names}); pass force=true to delete it anyway.", "in_use")
    release(store(), record)
    del store().data.files[record.id]
    return "", 204

