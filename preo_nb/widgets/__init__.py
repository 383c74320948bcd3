"""The forms people use all day: refunds, the refund queue, e-mail previews, segments.

Each form is a display-free model (``refund_draft``, ``refund_decisions``,
``email_render``, ``segment_draft``) and a thin ipywidgets view around it, built
with a client: ``RefundForm(preo)``. Displaying the form shows it; its controls
are attributes, so code and tests can set ``.value`` and call ``.click()``.
"""

from preo_nb.errors import require

# Checked before the forms are imported, so a missing extra is named instead of "No module named ...".
require("widgets", "preo_nb.widgets (the forms)", "ipywidgets", "cel")

from preo_nb.widgets.email_preview import EmailPreview
from preo_nb.widgets.refund_form import RefundForm
from preo_nb.widgets.refund_queue import RefundQueue
from preo_nb.widgets.segment_builder import SegmentBuilder

__all__ = ["EmailPreview", "RefundForm", "RefundQueue", "SegmentBuilder"]
