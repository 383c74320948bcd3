"""Who the caller is and what it may see or do (README 3, Scoping; 4.1, Roles)."""

from __future__ import annotations

from dataclasses import dataclass

from preo_nb.sandbox.errors import forbidden, not_found
from preo_nb.sandbox.models import StaffMember, rank

READ = "staff"
WRITE = "manager"


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
