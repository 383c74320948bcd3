"""The sandbox's domains, listed once: the store's tables, the seeding and the app are built from here.

The order is part of the data: ``seed.build`` seeds the domains in this order,
and a domain seeded later draws its ids after everything seeded before it. It is
also the order of their floors: each domain imports only domains listed before it.
"""

from __future__ import annotations

import dataclasses
from typing import cast

from preo_nb.sandbox.commerce.domain import DOMAIN as COMMERCE
from preo_nb.sandbox.commerce.models import Tables as CommerceTables
from preo_nb.sandbox.core.domain import Domain
from preo_nb.sandbox.core.store import Listener
from preo_nb.sandbox.emails.domain import DOMAIN as EMAILS
from preo_nb.sandbox.files.domain import DOMAIN as FILES
from preo_nb.sandbox.marketing.domain import DOMAIN as MARKETING
from preo_nb.sandbox.webhooks.domain import DOMAIN as WEBHOOKS

DOMAINS: tuple[Domain, ...] = (COMMERCE, FILES, EMAILS, WEBHOOKS, MARKETING)


def _joined() -> type[CommerceTables]:
    """One class holding every domain's tables, so a snapshot is one pickle.

    Typed as commerce's tables, the ground every other domain's extend.
    """
    # Each domain's tables extend those of the domains below it, so the later
    # ones come first among the bases (a class before its base, as Python wants).
    bases = tuple(reversed([domain.tables for domain in DOMAINS]))
    joined = dataclasses.make_dataclass("Tables", [], bases=bases)
    joined.__module__ = __name__  # where pickle finds it again
    return cast("type[CommerceTables]", joined)


Tables = _joined()
LISTENERS: tuple[Listener, ...] = tuple(listener for domain in DOMAINS for listener in domain.listeners)
