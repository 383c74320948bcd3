"""Local CEL checks: syntax and names, with the line, column and caret a user needs to fix them."""

import subprocess
import sys

import pytest

from preo_nb import cel

CONTEXT = {
    "variables": [{"name": n} for n in ("user.id", "user.email", "user.created", "edition_id", "purchases", "orders")],
    "functions": [{"name": n} for n in ("has_purchased", "has_product_type", "total_spent", "days_since")],
}


@pytest.mark.parametrize(
    "source",
    [
        'has_product_type("drink") && total_spent() > 50.0',
        'purchases.exists(p, p.status == "paid" && p.price > 10.0)',
        'orders.all(o, o.type == "online") || size(orders) == 0',
        'user.email.endsWith("@example.org") && days_since(user.created) < 30',
        'user.email.matches("user.bogus") && "unknown_fn(" != edition_id',  # names inside strings are text
    ],
)
def test_conditions_using_known_names_pass(source):
    assert cel.check(source, CONTEXT) == []


def test_a_syntax_error_has_its_line_column_and_caret():
    source = 'has_product_type("drink") &&\n  (total_spent() > '
    [problem] = cel.check(source, CONTEXT)
    assert (problem.line, problem.column) == (2, 20)
    assert problem.message.startswith("Syntax error: mismatched input '<EOF>'")
    assert problem.caret(source) == "  (total_spent() > \n                   ^"
    assert problem.where().startswith("line 2, column 20: Syntax error")


@pytest.mark.parametrize(
    ("source", "message", "line", "column"),
    [
        ("spent > 5", "unknown variable 'spent'", 1, 1),
        ('size(orders) > 1 &&\n  has_bought("x")', "unknown function 'has_bought'", 2, 3),
        ('user.emial == ""', "user has no field 'emial'", 1, 6),
        ("orders.exists(o, o.amount > 1.0) && p.status == 1", "unknown variable 'p'", 1, 37),
    ],
)
def test_unknown_names_are_pointed_at(source, message, line, column):
    assert cel.check(source, CONTEXT) == [cel.Problem(message, line, column)]


def test_problems_come_in_the_order_they_appear():
    problems = cel.check('foo(1) && user.nope == "" && bar', CONTEXT)
    assert [p.column for p in problems] == [1, 16, 30]


def test_without_a_context_only_the_syntax_is_checked():
    assert cel.check("anything.goes(1)") == []
    assert cel.check("1 +")[0].line == 1


@pytest.mark.parametrize("source", ["", "   ", "\n"])
def test_an_empty_condition_is_a_problem(source):
    assert cel.check(source, CONTEXT) == [cel.Problem("the condition is empty", 1, 1)]


def test_a_problem_without_a_position_has_no_caret():
    assert cel.Problem("odd").caret("x") == "" and cel.Problem("odd").where() == "odd"


def test_the_checks_need_neither_the_sandbox_nor_widgets():
    code = (
        "import sys, preo_nb, preo_nb.cel; print(sorted(m for m in sys.modules "
        "if m.startswith(('preo_nb.sandbox', 'flask', 'ipywidgets', 'preo_nb.widgets'))))"
    )
    found = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60)
    assert found.stdout.strip() == "[]"


# A syntax error past character 65,535 makes the engine panic (a BaseException) instead of reporting it.
TOO_LONG = "size(orders) > 0" + " && size(orders) > 0" * 3500 + " &&"


def test_a_condition_over_the_limit_is_one_clear_problem_before_the_engine_sees_it():
    assert len(TOO_LONG) > 65_535 > cel.MAX_CONDITION_LENGTH
    assert cel.check(TOO_LONG, CONTEXT) == [
        cel.Problem(f"the condition has {len(TOO_LONG):,} characters; at most 10,000 are allowed")
    ]
    with pytest.raises(ValueError, match="at most 10,000"):
        cel.compile_condition(TOO_LONG)
    at_limit = "size(orders) > 0" + " " * (cel.MAX_CONDITION_LENGTH - 16)
    assert cel.check(at_limit, CONTEXT) == []


def test_an_engine_panic_becomes_an_ordinary_error():
    import cel as engine

    with pytest.raises(cel.EngineError, match="the CEL engine failed"), cel.guarded():
        engine.compile("x" * 66_000 + " &&")  # panics: the check above keeps conditions this long away
