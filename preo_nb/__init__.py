"""preo_nb: the Preo Management API in Jupyter.

>>> import preo_nb
>>> preo = preo_nb.connect()            # PREO_API_TOKEN / PREO_BASE_URL from env or .env
>>> preo.orders.list(edition_id="edt_...")
>>> preo_nb.to_parquet("orders.parquet", preo.orders.list, edition_id="edt_...")   # larger than memory
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from preo_nb import signing  # stdlib only: `preo_nb.signing.verify(...)` works after `import preo_nb`
from preo_nb.errors import (
    AnswerTooLarge,
    APIError,
    AuthenticationError,
    AwaitingApproval,
    BadRequest,
    ConfigurationError,
    ConfigurationWarning,
    Conflict,
    NotFound,
    PermissionDenied,
    PreoError,
    PreoValidationError,
    RateLimited,
    ServerError,
    SignatureVerificationError,
    TransportError,
    UnknownOutcome,
    WaitTimeout,
)

if TYPE_CHECKING:
    from preo_nb._retry import RetryPolicy
    from preo_nb.client import Client, connect
    from preo_nb.config import Settings
    from preo_nb.export import iter_frames, to_csv, to_excel, to_parquet

# Imported on first use (PEP 562): pandas and requests load when the client is first asked for,
# so the pytest plugin and a webhook receiver (``preo_nb.signing``) do not pay for them.
_LAZY = {
    "Client": "preo_nb.client",
    "connect": "preo_nb.client",
    "Settings": "preo_nb.config",
    "RetryPolicy": "preo_nb._retry",
    "iter_frames": "preo_nb.export",
    "to_csv": "preo_nb.export",
    "to_excel": "preo_nb.export",
    "to_parquet": "preo_nb.export",
}


def __getattr__(name: str) -> Any:
    if name not in _LAZY:
        raise AttributeError(f"module 'preo_nb' has no attribute {name!r}")
    value = getattr(importlib.import_module(_LAZY[name]), name)
    globals()[name] = value  # later look-ups find it without coming here
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_LAZY})  # Tab completion in a notebook lists the lazy names too


__version__ = "0.1.0"

__all__ = [
    "APIError",
    "AnswerTooLarge",
    "AuthenticationError",
    "AwaitingApproval",
    "BadRequest",
    "Client",
    "ConfigurationError",
    "ConfigurationWarning",
    "Conflict",
    "NotFound",
    "PermissionDenied",
    "PreoError",
    "PreoValidationError",
    "RateLimited",
    "RetryPolicy",
    "ServerError",
    "Settings",
    "SignatureVerificationError",
    "TransportError",
    "UnknownOutcome",
    "WaitTimeout",
    "connect",
    "iter_frames",
    "signing",
    "to_csv",
    "to_excel",
    "to_parquet",
]
