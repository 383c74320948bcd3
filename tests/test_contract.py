from pathlib import Path

from preo_nb import contract, refund_rules
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
    assert set(refund_rules.DEFAULT_SCOPE) == set(contract.enum("RefundReason"))
    assert set(refund_rules.DEFAULT_SCOPE.values()) <= set(contract.enum("RefundScope"))
    for literal, name in [
        (refunds.Reason, "RefundReason"),
        (refunds.Scope, "RefundScope"),
        (refunds.Status, "RefundStatus"),
    ]:
        assert literal.__args__ == contract.enum(name)


def test_the_docs_table_of_what_is_inferred_is_the_contracts():
    page = (Path(__file__).resolve().parents[1] / "docs" / "provenance.md").read_text(encoding="utf-8")
    assert contract.provenance_table() in page


def test_provenance_names_the_source_of_every_part_of_an_operation():
    seed = contract.provenance("purchases_refund")
    assert (seed.operation, seed.path) == ("seed", "seed")
    assert seed.fields["body.reason"] == "seed" and seed.fields["answer.amount"] == "seed"
    guessed = contract.provenance("refunds_list")
    assert guessed.path == "inferred" and guessed.parameters["purchase_id"] == "inferred"
    assert "parameter purchase_id" in guessed.inferred()


def test_equality_filters_map_to_the_columns_that_must_match():
    assert contract.filter_columns("refunds_list") == {
        "edition_id": "edition_id",
        "purchase_id": "purchase.api_id",
        "reason": "reason",
        "scope": "scope",
        "status": "status",
    }
    assert "search" not in contract.filter_columns("orders_list")
    assert contract.media_types("segments_export_csv") == ("text/csv",)


def test_the_refund_rules_are_the_contracts():
    assert set(refund_rules.OPEN_STATES) | set(refund_rules.FINAL_STATES) == set(contract.enum("RefundStatus"))
    assert set(refund_rules.CUSTOM_SCOPES) | set(refund_rules.TRANSACTION_SCOPES) <= set(contract.enum("RefundScope"))
