"""Every operation of the shipped contract is a client method, named by the rule."""

import inspect

import pytest

from preo_nb import contract
from preo_nb.client import Client
from preo_nb.config import Settings

CLIENT = Client(Settings(base_url="http://127.0.0.1:9", token="not-used"))


def group_and_verb(operation_id):
    group = next(g for g in sorted(vars(CLIENT), key=len, reverse=True) if operation_id.startswith(g + "_"))
    return group, operation_id[len(group) + 1 :]


def test_the_contract_has_81_operations():
    assert len(contract.operations()) == 81


@pytest.mark.parametrize("operation_id", sorted(contract.operations()))
def test_operation_is_a_method(operation_id):
    group, verb = group_and_verb(operation_id)
    method = getattr(getattr(CLIENT, group), verb)
    assert method.__doc__ and method.__doc__.strip()
    parameters = list(inspect.signature(method).parameters.values())
    path_ids = contract.operations()[operation_id].path.count("{")
    positional = [p for p in parameters if p.kind is p.POSITIONAL_OR_KEYWORD]
    assert len(positional) >= path_ids, f"{group}.{verb} takes the {path_ids} path id(s) positionally"
    extra = positional[path_ids:]
    assert all(p.name.endswith("_id") or p.name in ("file", "data", "orders", "condition") for p in extra), (
        f"{group}.{verb}: only ids (and the uploaded content) are positional, the rest keyword-only"
    )
