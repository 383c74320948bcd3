"""Organizations, their staff and roles: who the caller is and what it may see or do.

README 3 (Scoping) and 4.1 (Roles): every object belongs to an organization; a
caller sees the objects of the organizations it is a member of, and changes
them with a strong enough role. Objects of other organizations are "not found",
never "forbidden", so their ids are not revealed.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol, TypeVar

from preo_nb.sandbox.core.errors import forbidden, not_found, unknown_pk

ROLES = ("guest", "staff", "manager", "admin")
"""Organization roles, weakest first, so a role's index is its rank."""
READ = "staff"
WRITE = "manager"


def rank(role: str | None) -> int:
    """Return the strength of ``role`` (-1 for no membership)."""
    return ROLES.index(role) if role in ROLES else -1


@dataclass
class Organization:
    """A customer organization of Preo."""

    id: str
    name: str


@dataclass
class StaffMember:
    """A staff user (an API caller) and its role per organization id."""

    id: str
    email: str
    first_name: str
    last_name: str
    phone_number: str | None
    roles: dict[str, str]
    avatar: str | None = None

    @property
    def full_name(self) -> str:
        """First and last name joined."""
        return f"{self.first_name} {self.last_name}".strip()


class Owned(Protocol):
    """A record that belongs to one organization."""

    @property
    def organization_id(self) -> str:
        """The owning organization's id."""


Record = TypeVar("Record", bound=Owned)


@dataclass(frozen=True)
class Caller:
    """The authenticated staff member of the current request."""

    member: StaffMember

    def role_in(self, org_id: str) -> str | None:
        """Return the caller's role in an organization, or None."""
        return self.member.roles.get(org_id)

    def orgs(self, at_least: str = READ) -> set[str]:
        """Return the organizations where the caller holds ``at_least`` that role."""
        need = rank(at_least)
        return {org for org, role in self.member.roles.items() if rank(role) >= need}

    def can(self, org_id: str, need: str) -> bool:
        """Whether the caller holds ``need`` or better in an organization."""
        return rank(self.role_in(org_id)) >= rank(need)

    def require(self, org_id: str, need: str = READ) -> None:
        """Refuse unless the caller holds ``need`` in ``org_id``.

        Raises:
            ApiError: 404 when the caller is no member there (objects of other
                organizations must not be revealed), 403 when the role is too low.
        """
        role = self.role_in(org_id)
        if role is None:
            raise not_found()
        if rank(role) < rank(need):
            raise forbidden()

    def require_any(self, org_ids: set[str], need: str = READ) -> None:
        """Refuse unless ``need`` is held in one of ``org_ids`` (404 if in none of them)."""
        if not any(self.role_in(org) for org in org_ids):
            raise not_found()
        if not any(self.can(org, need) for org in org_ids):
            raise forbidden()

    def fetch(self, table: Mapping[str, Record], object_id: str, need: str = READ) -> Record:
        """Return the record with that id if the caller holds ``need`` in its organization.

        Raises:
            ApiError: 404 when there is no such record or it is another
                organization's, 403 when the caller's role there is too low.
        """
        found = table.get(object_id)
        if found is None:
            raise not_found()
        self.require(found.organization_id, need)
        return found


def link_errors(org_id: str, body: Mapping[str, Any], links: Mapping[str, Mapping[str, Any]]) -> dict[str, list[str]]:
    """Return a field error for each id field of ``body`` naming no object of the organization.

    Args:
        org_id: The organization the objects must belong to.
        body: The request body (or the changes to apply).
        links: Field name -> the table its id must be found in, e.g.
            ``{"edition_id": tables.editions}``.
    """
    errors: dict[str, list[str]] = {}
    for field, table in links.items():
        value = body.get(field)
        found = table.get(value or "")
        if value is not None and (found is None or found.organization_id != org_id):
            errors[field] = [unknown_pk(value)]
    return errors
