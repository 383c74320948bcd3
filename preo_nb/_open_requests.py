"""Which purchases of an edition have no refund request yet: one paged read instead of one per purchase.

A bulk refund snapshots a purchase's refund requests before it POSTs (``preo_nb.bulk``):
that snapshot is what later tells this job's request from an earlier one. For a
purchase the edition's list of refund requests shows none of, the snapshot is empty
whether it is read per purchase or edition-wide, so ``EditionRequests`` answers it from
one read of ``GET /v1/refunds?edition_id=...``, read again once it is ``MAX_AGE`` old.

It is only ever a hint to skip the per-purchase read. Whatever it cannot vouch for
gets ``None``, and the caller reads that purchase's requests itself, as it always did:
a purchase that has a request (open or not), every purchase when the read failed, and
(in ``preo_nb.bulk``) every row already sent or resumed.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import TYPE_CHECKING

from preo_nb.errors import PreoError

if TYPE_CHECKING:
    from preo_nb.client import Client

log = logging.getLogger("preo_nb.bulk")
MAX_AGE = 10.0  # seconds a read of the edition's refund requests is trusted; then it is read again


class EditionRequests:
    """The purchases that have refund requests in one edition, as last read; thread-safe."""

    def __init__(self, preo: Client, edition_id: str, max_age: float = MAX_AGE) -> None:
        self._preo = preo
        self._edition_id = edition_id
        self._max_age = max_age
        self._lock = threading.Lock()
        self._with_requests: set[str] | None = None
        self._read_at = -float("inf")
        self.reads = 0

    def snapshot(self, purchase_id: str) -> list[str] | None:
        """``[]`` when the purchase had no refund request at a read at most ``max_age`` old; else None."""
        with self._lock:
            if time.monotonic() - self._read_at > self._max_age:
                self._read()
            if self._with_requests is None or purchase_id in self._with_requests:
                return None
            return []

    def _read(self) -> None:
        # Timed from before the read: a request filed while the pages arrive counts against the age.
        started = time.monotonic()
        try:
            requests = list(self._preo.refunds.iterate(edition_id=self._edition_id))
        except PreoError as exc:  # unreadable: every purchase is checked on its own
            log.warning("reading the edition's refund requests failed (%s); checking each purchase on its own", exc)
            found = None
        else:
            found = {_purchase_of(r) for r in requests}
        # A request that does not say its purchase could be any purchase's: trust none of the read.
        self._with_requests = None if found is None or "" in found else found
        self._read_at = started
        self.reads += 1


def _purchase_of(request: object) -> str:
    purchase = request.get("purchase") if isinstance(request, dict) else None
    key = purchase.get("api_id") if isinstance(purchase, dict) else None
    return key if isinstance(key, str) and key else ""
