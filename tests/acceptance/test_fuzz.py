"""A bounded, seeded schemathesis run against the sandbox (in-process, through WSGI).

Every operation the sandbox serves gets a few dozen generated requests, valid and
invalid. Checks: no 5xx, statuses, content types and bodies as the contract
declares them, and every schema-violating request refused with a 4xx. Business
rules beyond the schema may refuse valid-looking input (a random purchase id is
a 400), so "valid input accepted" is not checked.

The second seed generates new inputs only: the examples in the contract and
schemathesis' coverage cases (boundary values, each wrong type) do not depend
on the seed, so the first test already sends them.

Two documented rules are given to the generator instead of being fuzzed:
``page_size`` above 1000 is clamped, not refused (README 3, Pagination), and
unknown query parameters are ignored (README 3, Filtering).
"""

import copy

import pytest

schemathesis = pytest.importorskip("schemathesis", reason="schemathesis is in the test extra")
from hypothesis import HealthCheck, Phase, seed, settings  # noqa: E402
from schemathesis.checks import positive_data_acceptance  # noqa: E402

from preo_nb import contract  # noqa: E402
from preo_nb.sandbox import build, issue_tokens  # noqa: E402
from preo_nb.sandbox.app import create_app  # noqa: E402
from preo_nb.sandbox.core.faults import Faults  # noqa: E402
from preo_nb.sandbox.web.contract_check import ContractChecker  # noqa: E402

EXAMPLES = 25
OTHER_SEED = 20_260_901
"""A second fixed seed: the same number of examples, other inputs, still reproducible."""

store = build(1, "tiny")
tokens = issue_tokens(store)
checker = ContractChecker()
app = create_app(store, faults=Faults(), checker=checker)
served = {rule.endpoint for rule in app.url_map.iter_rules()} & set(contract.operations())

spec = copy.deepcopy(contract.spec())
spec["servers"] = [{"url": "/"}]
spec["components"]["parameters"]["PageSize"]["schema"].pop("maximum")
schema = schemathesis.openapi.from_dict(spec)
schema.app = app
schema.config.generation.update(max_examples=EXAMPLES, deterministic=True, allow_extra_parameters=False)
schema = schema.include(operation_id=sorted(served))


def test_the_sandbox_serves_operations_to_fuzz():
    assert len(served) >= 20


def survives(case):
    """Send one generated request; the reply must pass every check and the contract."""
    checker.clear()
    case.call_and_validate(
        headers={"Authorization": f"Bearer {tokens['admin']}"}, excluded_checks=[positive_data_acceptance]
    )
    assert checker.violations == []


@schema.parametrize()
@settings(suppress_health_check=list(HealthCheck), deadline=None, derandomize=True)
def test_sandbox_survives_generated_requests(case):
    survives(case)


@schema.parametrize()
@seed(OTHER_SEED)
@settings(
    suppress_health_check=list(HealthCheck),
    deadline=None,
    derandomize=False,
    database=None,
    phases=[Phase.generate, Phase.shrink],  # the schema's examples and coverage cases are the same for any seed
)
def test_sandbox_survives_requests_generated_from_another_seed(case):
    survives(case)
