"""Who the caller is."""

from __future__ import annotations

from typing import Any, ClassVar

from preo_nb.resources._base import Resource


class Auth(Resource):
    """The authenticated staff user (``preo.auth``)."""

    PATHS: ClassVar[dict[str, str]] = {"me": "/v1/auth/me"}

    def me(self) -> dict[str, Any]:
        """Return your profile and the organizations you can act for, with your role in each."""
        return self._get(self.PATHS["me"])
