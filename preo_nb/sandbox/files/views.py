"""Files: the organizations' media library (upload, list, read, describe, delete).

Where a file is used and what deleting it clears are in ``rules_files``.
"""

from __future__ import annotations

import base64
import binascii
from operator import attrgetter
from typing import Any

from flask import request

from preo_nb.sandbox.core.access import READ, WRITE
from preo_nb.sandbox.core.errors import conflict, field_error, forbidden, invalid, unknown_object
from preo_nb.sandbox.files import render
from preo_nb.sandbox.files.models import StoredFile, Tables
from preo_nb.sandbox.files.rules_files import add_file, clean_tags, release, usages
from preo_nb.sandbox.web import listing
from preo_nb.sandbox.web.body import read_body
from preo_nb.sandbox.web.views import Group, caller, typed_store

store = typed_store(Tables)

group = Group("Files")
Json = dict[str, Any]
MAX_BYTES = 20 * 1024 * 1024
ORDERING = {key: attrgetter(key) for key in ("created_at", "updated_at", "file_name")}
UPDATABLE = ("image_alt_text", "caption", "copyright", "tags")


def _render(record: StoredFile) -> Json:
    return render.file(record, usages(store(), record))


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
        raise unknown_object("organization_id", org_id)
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
    return _render(caller().fetch(store().data.files, file_id, READ))


@group.view
def files_update(file_id: str) -> Json:
    """Change alt text, caption, copyright or tags (the tag list is replaced)."""
    record = caller().fetch(store().data.files, file_id, WRITE)
    body = read_body("files_update")
    for key in UPDATABLE:
        if key in body:
            setattr(record, key, clean_tags(body[key]) if key == "tags" else body[key])
    record.updated_at = store().now()
    return _render(record)


@group.view
def files_delete(file_id: str) -> tuple[str, int]:
    """Delete a file; one in use only with ``force=true``, which clears its references."""
    record = caller().fetch(store().data.files, file_id, WRITE)
    force = listing.filters("files_delete").get("force", False)
    used = usages(store(), record)
    if used and not force:
        names = ", ".join(f"{u['model']} {u['api_id']}" for u in used[:5])
        raise conflict(f"The file is in use ({names}); pass force=true to delete it anyway.", "in_use")
    release(store(), record)
    del store().data.files[record.id]
    return "", 204
