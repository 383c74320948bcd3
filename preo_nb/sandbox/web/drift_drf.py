"""What the drift proxy does to look like stock Django REST Framework (``Drift.limit_offset``,
``Drift.drf_errors``): limit/offset paging and Django's HTML 404 page."""

from __future__ import annotations

from werkzeug.wrappers import Response

DJANGO_404 = (
    '<!DOCTYPE html>\n<html lang="en">\n<head>\n  <meta http-equiv="content-type" content="text/html; charset=utf-8">\n'
    "  <title>Page not found at {path}</title>\n</head>\n<body>\n  <h1>Page not found <span>(404)</span></h1>\n"
    "  <p>Using the URLconf defined in <code>config.urls</code>, Django tried these URL patterns, in this order:</p>\n"
    + "  <ol><li>api/</li><li>admin/</li></ol>\n" * 40
    + "</body>\n</html>\n"
)


def not_found_page(path: str) -> Response:
    """Django's HTML 404 page for ``path`` (what a route the server lacks answers)."""
    return Response(DJANGO_404.format(path=path), status=404, content_type="text/html; charset=utf-8")


def limit_offset_in(query: dict[str, str], default: int) -> dict[str, str]:
    """``limit``/``offset`` as the sandbox's page numbers; ``page``/``page_size`` dropped (unknown to DRF)."""
    limit = int(query.pop("limit", "") or default)
    offset = int(query.pop("offset", "") or 0)
    query = {k: v for k, v in query.items() if k not in ("page", "page_size")}
    return {**query, "page": str(offset // limit + 1), "page_size": str(limit)}


def limit_offset_out(query: dict[str, str]) -> dict[str, str]:
    """A sandbox link's page number and size as DRF's ``limit``/``offset``."""
    size = int(query.pop("page_size"))
    page = int(query.pop("page", "") or 1)
    return {**query, "limit": str(size), "offset": str((page - 1) * size)}
