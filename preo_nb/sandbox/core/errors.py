"""The sandbox's error replies, raised by views and rules and turned into JSON by the web app.

Bodies follow README 3 (Errors): ``{"detail"}`` for 401/403/404,
``{"detail", "code"}`` for 409 refusals and DRF field maps for 400.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

T = TypeVar("T")


class ApiError(Exception):
    """An HTTP error reply: status, JSON body and extra headers."""

    def __init__(self, status: int, body: dict[str, Any], headers: dict[str, str] | None = None):
        super().__init__(status, body)
        self.status = status
        self.body = body
        self.headers = headers or {}


def unauthorized(detail: str) -> ApiError:
    """401 with the bearer challenge the contract declares."""
    return ApiError(401, {"detail": detail}, {"WWW-Authenticate": 'Bearer realm="api"'})


def forbidden() -> ApiError:
    """403: the object is visible but the caller's role is too low."""
    return ApiError(403, {"detail": "You do not have permission to perform this action."})


def not_found(detail: str = "Not found.") -> ApiError:
    """404: no such object, or not in the caller's organizations."""
    return ApiError(404, {"detail": detail})


def invalid(errors: dict[str, list[str]]) -> ApiError:
    """400 with a DRF field map."""
    return ApiError(400, dict(errors))


def raise_if(errors: dict[str, list[str]]) -> None:
    """Raise the 400 reply when any field error was found."""
    if errors:
        raise invalid(errors)


def field_error(field: str, message: str) -> ApiError:
    """400 for one field."""
    return invalid({field: [message]})


def unknown_pk(value: object) -> str:
    """The DRF message for an id that names no object (or none the caller may see)."""
    return f'Invalid pk "{value}" - object does not exist.'


def unknown_object(field: str, value: object) -> ApiError:
    """400 on ``field``: ``value`` names no object the caller may use."""
    return field_error(field, unknown_pk(value))


def conflict(detail: str, code: str) -> ApiError:
    """409 refusal because of the object's current state (README 4.1)."""
    return ApiError(409, {"detail": detail, "code": code})


def get_or_404(table: Mapping[str, T], object_id: str) -> T:
    """Return ``table[object_id]`` or raise the 404 reply."""
    found = table.get(object_id)
    if found is None:
        raise not_found()
    return found
