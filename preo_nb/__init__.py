"""preo_nb: the Preo Management API in Jupyter.

>>> import preo_nb
>>> preo = preo_nb.connect()            # PREO_API_TOKEN / PREO_BASE_URL from env or .env
>>> preo.orders.list(edition_id="edt_...")
>>> preo_nb.to_parquet("orders.parquet", preo.orders.list, edition_id="edt_...")   # larger than memory
"""

from preo_nb import signing  # stdlib only: `preo_nb.signing.verify(...)` works after `import preo_nb`
from preo_nb._retry import Policy as RetryPolicy
from preo_nb.client import Client, connect
from preo_nb.config import Settings
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
from preo_nb.export import iter_frames, to_csv, to_excel, to_parquet

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
