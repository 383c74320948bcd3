"""The files domain as the sandbox registers it: the media library and data imports, on commerce."""

from __future__ import annotations

from preo_nb.sandbox.core.domain import Domain
from preo_nb.sandbox.files import seed as seed_files
from preo_nb.sandbox.files.models import Store, Tables


def seed(store: Store, seed: int, scale: str) -> None:
    """Add the media library, then the data imports (the same at every scale)."""
    seed_files.add_files(store, seed)
    seed_files.add_imports(store, seed)


DOMAIN = Domain(tables=Tables, seed=seed, views=("views", "views_imports"))
