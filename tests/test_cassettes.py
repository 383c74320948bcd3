"""Every recorded cassette: free of secrets, within the contract, covering every operation."""

import re
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from cassette_files import CASSETTES, FILES, interactions

from preo_nb import contract, testing
from preo_nb.client import Client, groups
from preo_nb.config import Settings

TESTS = Path(__file__).resolve().parent / "resources"
CLIENT = Client(Settings(base_url="http://127.0.0.1:9", token="not-used"))
GROUPS = sorted(groups())


def test_there_are_cassettes():
    assert len(FILES) >= 30


@pytest.mark.parametrize("path", FILES, ids=lambda p: str(p.relative_to(CASSETTES)))
def test_cassette_holds_no_secret(path):
    text = path.read_text(encoding="utf-8")
    assert testing.find_secrets(text) == []
    for item in interactions(path):
        headers = {name.lower() for name in item["request"]["headers"]}
        assert not headers & set(testing.SECRET_HEADERS)
        assert not {n.lower() for n in item["response"]["headers"]} & set(testing.SECRET_HEADERS)


@pytest.mark.parametrize("path", FILES, ids=lambda p: str(p.relative_to(CASSETTES)))
def test_recorded_responses_follow_the_contract(path):
    from preo_nb.conformance import check_response as check

    problems = []
    for item in interactions(path):
        request, response = item["request"], item["response"]
        operation = contract.find_operation(request["method"], urlsplit(request["uri"]).path)
        assert operation, f"{request['method']} {request['uri']} is not a contract operation"
        content_type = next((v[0] for k, v in response["headers"].items() if k.lower() == "content-type"), None)
        problems += check(operation, response["status"]["code"], content_type, response["body"]["string"])
    assert problems == []


def recorded_operations():
    found = set()
    for path in CASSETTES.glob("[!n]*/*.yaml"):  # the client's cassettes (not notebooks/)
        for item in interactions(path):
            found.add(contract.find_operation(item["request"]["method"], urlsplit(item["request"]["uri"]).path))
    return found


def test_every_operation_of_the_client_groups_is_replayed():
    expected = {op for op, spec in contract.operations().items() if spec.tag.lower().replace(" ", "_") in GROUPS}
    assert len(expected) >= 20
    assert expected - recorded_operations() == set()


def public_methods():
    for group in GROUPS:
        resource = getattr(CLIENT, group)
        for name in dir(type(resource)):
            if not name.startswith("_") and callable(getattr(resource, name)):
                yield group, name


@pytest.mark.parametrize(("group", "method"), list(public_methods()))
def test_every_client_method_has_a_cassette_test(group, method):
    source = (TESTS / f"test_{group}.py").read_text(encoding="utf-8")
    assert re.search(rf"\.{group}\.{method}\(", source), f"no test in test_{group}.py calls {group}.{method}()"
    assert (CASSETTES / group).is_dir()


def test_no_cassette_without_its_test():
    for path in CASSETTES.glob("[!n]*/*.yaml"):
        source = (TESTS / f"test_{path.parent.name}.py").read_text(encoding="utf-8")
        assert f"def {path.stem}(" in source, f"{path} belongs to no test"
