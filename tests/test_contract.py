from pathlib import Path

import pytest

from preo_nb import _verify, contract, refund_rules
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


LIST_OPERATIONS = [op for op in contract.operations().values() if op.method == "GET" and op.is_paginated]


@pytest.mark.parametrize("op", LIST_OPERATIONS, ids=lambda op: op.operation_id)
def test_every_query_parameter_of_a_list_has_a_meaning_in_the_filter_table(op):
    meant = contract.filters(op.operation_id)
    assert set(op.query) - set(contract.PAGING) == set(meant), "a query parameter without x-filter"
    declared = {c.name for c in contract.columns(contract.item_schema(op.operation_id))}
    for name, rule in meant.items():
        assert rule.kind in _verify.CHECKS, (name, rule.kind)
        named = [rule.column] if rule.column else list(rule.fields)
        assert set(named) <= declared, (name, named)
        if rule.kind == "ordering":  # every documented sort key, and only those, is a column
            keys = {v.removeprefix("-") for v in contract.resolve(op.query[name])["enum"]}
            assert keys == set(rule.fields)
        if rule.kind == "related":
            assert rule.why


def test_filter_meanings_read_from_the_contract():
    created = contract.filters("orders_list")["created_before"]
    assert (created.kind, created.column, created.inclusive) == ("upper", "created", False)
    email = contract.filters("orders_list")["customer_email"]
    assert (email.kind, email.column, email.case_sensitive) == ("contains", "customer.email", False)
    assert contract.filters("refunds_list")["purchase_id"].column == "purchase.api_id"
    assert contract.required_filters("orders_list") == ("edition_id", "organization_id", "customer_id")
    assert contract.media_types("segments_export_csv") == ("text/csv",)


def test_the_refund_rules_are_the_contracts():
    assert set(refund_rules.OPEN_STATES) | set(refund_rules.FINAL_STATES) == set(contract.enum("RefundStatus"))
    assert set(refund_rules.CUSTOM_SCOPES) | set(refund_rules.TRANSACTION_SCOPES) <= set(contract.enum("RefundScope"))


def test_import_stages_everywhere_are_the_contracts():
    from preo_nb.resources import data_imports
    from preo_nb.sandbox.files import models

    stages = contract.enum("DataImportStage")
    assert stages == models.IMPORT_STAGES
    assert set(models.FINAL_STAGES) | set(models.CANCELLABLE_STAGES) | set(data_imports.RUNNING_STAGES) <= set(stages)


def test_the_prebuilt_contract_is_the_yaml_it_was_built_from():
    """The JSON the client loads is the bundled YAML, node for node (rebuild: python -m preo_nb._prebuilt)."""
    import json

    import yaml

    data = Path(contract.__file__).parent / "data"
    built = json.loads((data / "openapi.json").read_text("utf-8"))
    assert built["contract"] == yaml.safe_load((data / "openapi.yaml").read_text("utf-8"))
    assert contract.spec() == built["contract"]


def test_a_stale_prebuilt_contract_is_not_used(tmp_path, caplog):
    """A contract edited without rebuilding is read from its YAML, never from the older JSON."""
    from preo_nb import _prebuilt

    shipped = (Path(contract.__file__).parent / "data" / "openapi.yaml").read_bytes()
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "openapi.json").write_text(_prebuilt.build(shipped), "utf-8")
    edited = shipped.replace(b"title:", b"title: Edited", 1)
    (tmp_path / "data" / "openapi.yaml").write_bytes(edited)
    assert _prebuilt.load(tmp_path) == _prebuilt.parse(edited) != _prebuilt.parse(shipped)
    assert "older than" in caplog.text
    (tmp_path / "data" / "openapi.json").write_text(_prebuilt.build(edited), "utf-8")
    assert _prebuilt.load(tmp_path) == _prebuilt.parse(edited)
