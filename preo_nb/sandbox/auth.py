"""Auth: who the caller is."""

from __future__ import annotations

from typing import Any

from preo_nb.sandbox import render
from preo_nb.sandbox.web import Group, caller, store

group = Group("Auth")


@group.view
def auth_me() -> dict[str, Any]:
    """Return the caller's staff-user fields and its organizations with roles.

    Any valid token may ask, a guest's included: it is how a caller learns
    what it may do.
    """
    member = caller().member
    memberships = [
        {"id": org.id, "name": org.name, "role": member.roles[org.id]}
        for org in store().data.organizations.values()
        if org.id in member.roles
    ]
    return render.staff_user(member) | {"organizations": memberships}
