"""The marketing domain as the sandbox registers it: consents, segments and campaigns.

A campaign that is not finished keeps its email message in use: this module
tells the emails domain so (``emails.rules.USERS``), so emails never imports marketing.
"""

from __future__ import annotations

from preo_nb.sandbox.core.domain import Domain
from preo_nb.sandbox.emails import rules as email_rules
from preo_nb.sandbox.marketing import rules
from preo_nb.sandbox.marketing import seed as seed_marketing
from preo_nb.sandbox.marketing.models import Store, Tables


def seed(store: Store, seed: int, scale: str) -> None:
    """Add consents and their grants, wallet passes, segments and campaigns (the same at every scale)."""
    seed_marketing.add_marketing(store, seed)


email_rules.USERS.append(rules.campaign_using)

DOMAIN = Domain(
    tables=Tables,
    seed=seed,
    views=("views_consents", "views_segments", "views_campaigns"),
)
