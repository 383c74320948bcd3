"""Each runbook's summary matches the tables under it (finance checks totals against each other first).

The runbooks' stored outputs (replayed from their cassettes, the summary checked by nbval) are
read back as a reader sees them; the demo's live reports are checked the same way in test_cli.
"""

from pathlib import Path

import nbformat
import pytest
from report_figures import RECOMPUTE, assert_figures_add_up, figures

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOKS = ROOT / "preo_nb" / "notebooks"


@pytest.mark.parametrize("name", sorted(RECOMPUTE))
def test_every_summary_figure_is_recomputed_from_the_reports_own_tables(name):
    assert_figures_add_up(NOTEBOOKS / f"{name}.ipynb", name)


def test_the_orders_summary_states_what_each_figure_counts():
    shown = figures(nbformat.read(NOTEBOOKS / "orders_report.ipynb", as_version=4))
    assert "Orders" not in shown and "Items sold" not in shown  # they counted cancelled orders and items
