"""Single purchases and the per-purchase refund entry point."""

from __future__ import annotations

from typing import Any, ClassVar

from preo_nb.resources._base import Resource
from preo_nb.resources.refunds import Reason, Scope, open_request_like, refund_body


class Purchases(Resource):
    """Purchases (``preo.purchases``): one item bought in an order."""

    PATHS: ClassVar[dict[str, str]] = {
        "retrieve": "/v1/purchases/{id}",
        "refund": "/v1/purchases/{id}/refund",
    }

    def retrieve(self, id: str) -> dict[str, Any]:
        """Fetch one purchase with its price, deposit, fee and what was refunded."""
        return self._get(self._path("retrieve", id))

    def refund(
        self,
        id: str,
        *,
        reason: Reason,
        scope: Scope | None = None,
        amount: float | None = None,
        comment: str = "",
        pickup_point_id: str | None = None,
    ) -> dict[str, Any]:
        """File a refund request for this purchase.

        Args:
            id: The purchase (its ``api_id``).
            reason: Why; it decides the default scope (``event_cancelled`` ->
                ``purchase_full``, ``deposit_reclaim`` -> ``purchase_deposit``,
                ``compensation`` -> ``purchase_custom``...).
            scope: Override the scope derived from ``reason``.
            amount: Only for ``purchase_custom``/``transaction_custom`` (> 0);
                Preo computes it for every other scope.
            comment: Free text kept with the request.
            pickup_point_id: Where the refund is handed out, if anywhere.

        Returns:
            The refund request, status ``requested``, with the amount Preo computed.

        Raises:
            PreoValidationError: A bad reason, scope or amount; nothing was sent.
            Conflict: The purchase already has an open request, or nothing is left to refund.
        """
        body = refund_body(reason, scope, amount, comment, pickup_point_id)
        return self._post(self._path("refund", id), body, reconcile=open_request_like(self, id, body))
