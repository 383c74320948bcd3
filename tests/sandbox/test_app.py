"""The app serves exactly the contract's routes of the implemented groups."""

from __future__ import annotations

import re

from preo_nb import contract
from preo_nb.sandbox import Faults, build
from preo_nb.sandbox.app import GROUPS, create_app

SERVED_TAGS = {"Auth", "Editions", "Orders", "Purchases", "Users", "Refunds", "Files", "Data Imports"}
SERVED_TAGS |= {"Email Messages", "Webhooks"}
SERVED_TAGS |= {"Consents", "Segments", "Campaigns"}


def test_every_operation_of_the_served_groups_has_its_route() -> None:
    app = create_app(build(1, "tiny"), faults=Faults())
    rules = {rule.endpoint: rule for rule in app.url_map.iter_rules()}
    expected = {op_id for op_id, op in contract.operations().items() if op.tag in SERVED_TAGS}
    served = {endpoint for endpoint in rules if endpoint in contract.operations()}
    assert served == expected
    # the first six groups, files, data imports, email messages, webhooks, consents, segments, campaigns
    assert len(served) == 20 + 5 + 14 + 9 + 9 + 5 + 10 + 9
    for op_id in expected:
        operation = contract.operations()[op_id]
        path = re.sub(r"<(\w+)>", r"{\1}", rules[op_id].rule)
        assert path == operation.path, op_id
        assert operation.method in rules[op_id].methods, op_id


def test_groups_cover_the_served_tags_with_views_named_after_operations() -> None:
    assert {group.tag for group in GROUPS} == SERVED_TAGS
    for group in GROUPS:
        for op_id, view in group.views.items():
            assert view.__name__ == op_id
            assert contract.operations()[op_id].tag == group.tag
