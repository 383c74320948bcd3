"""Every operation of the shipped contract is a client method, named by the rule."""

import inspect
from pathlib import Path

import pytest
import yaml

import preo_nb
from preo_nb import contract
from preo_nb.client import Client, groups
from preo_nb.config import Settings

CLIENT = Client(Settings(base_url="http://127.0.0.1:9", token="not-used"))
SHIPPED = Path(preo_nb.__file__).parent / "data" / "openapi.yaml"


def group_and_verb(operation_id):
    group = next(g for g in sorted(groups(), key=len, reverse=True) if operation_id.startswith(g + "_"))
    return group, operation_id[len(group) + 1 :]


def test_every_operation_of_the_shipped_file_is_inventoried():
    """The file read on its own, so an operation ``contract`` fails to see cannot go unchecked."""
    paths = yaml.safe_load(SHIPPED.read_text("utf-8"))["paths"]
    listed = [
        op["operationId"] for item in paths.values() for method, op in item.items() if method in contract.HTTP_METHODS
    ]
    assert listed and sorted(listed) == sorted(contract.operations())


def test_the_client_groups_are_the_contract_tags():
    tags = {op.tag.lower().replace(" ", "_") for op in contract.operations().values()}
    assert list(groups()) and set(groups()) == tags
    assert all(isinstance(getattr(CLIENT, name), kind) for name, kind in groups().items())


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
