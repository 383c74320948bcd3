"""Errors that tell a notebook user what to write instead: filters by keyword, Excel through preo_nb."""

import pandas as pd
import pytest
from IPython.core.interactiveshell import InteractiveShell

import preo_nb
from preo_nb import _excel_hint


@pytest.fixture
def preo():
    return preo_nb.connect(base_url="http://127.0.0.1:9", token="t" * 32, env_file=False)  # nothing is sent


def test_an_edition_passed_by_position_is_named_as_the_keyword(preo):
    with pytest.raises(TypeError, match=r"'edt_6030d0a35dde' looks like an edition id, so pass edition_id='edt_"):
        preo.orders.list("edt_6030d0a35dde")


@pytest.mark.parametrize(
    ("call", "says"),
    [
        (lambda p: p.refunds.list("requested"), r"Refunds.list\(\) takes its filters by keyword.* status"),
        (lambda p: p.webhooks.list_deliveries("whk_1", "failed"), r"list_deliveries\(\) takes its filters by keyword"),
        (lambda p: p.refunds.retrieve("rfr_1", "rfr_2"), r"Refunds.retrieve\(\) got 1 argument\(s\) too many: 'rfr_2'"),
    ],
)
def test_any_extra_positional_argument_gets_a_type_error_that_says_what_to_do(preo, call, says):
    with pytest.raises(TypeError, match=says):
        call(preo)


def test_in_a_notebook_pandas_refusing_time_zones_in_excel_points_to_preo_nb_to_excel(tmp_path, capsys):
    shell = InteractiveShell.instance()
    try:
        shell.set_custom_exc((), None)
        shell.run_cell("import preo_nb\npreo = preo_nb.connect(base_url='http://127.0.0.1:9', token='t' * 32)")
        shell.user_ns["frame"] = pd.DataFrame({"created": pd.to_datetime(["2026-08-31 10:49"], utc=True)})
        result = shell.run_cell(f"frame.to_excel({str(tmp_path / 'out.xlsx')!r})")
        assert isinstance(result.error_in_exec, ValueError)
        shown = capsys.readouterr().out
        assert _excel_hint.PANDAS_SAYS in shown and "preo_nb.to_excel(frame, path)" in shown
    finally:
        shell.set_custom_exc((), None)
        InteractiveShell.clear_instance()
