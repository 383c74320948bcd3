from preo_nb import contract
from preo_nb.resources import refunds


def test_the_bundled_contract_has_81_operations_in_13_groups():
    ops = contract.operations()
    assert len(ops) == 81
    assert len({op.tag for op in ops.values()}) == 13


def test_list_operations_are_paginated():
    ops = contract.operations()
    assert ops["orders_list"].is_paginated
    assert not ops["orders_retrieve"].is_paginated


def test_client_enums_match_the_contract():
    assert set(refunds.DEFAULT_SCOPE) == set(contract.enum("RefundReason"))
    assert set(refunds.DEFAULT_SCOPE.values()) <= set(contract.enum("RefundScope"))
    for literal, name in [(refunds.Reason, "RefundReason"), (refunds.Scope, "RefundScope"),
                          (refunds.Status, "RefundStatus")]:
        assert literal.__args__ == contract.enum(name)
