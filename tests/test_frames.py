import pandas as pd
import pytest

from preo_nb import contract, frames
from preo_nb.contract import Column

ORDER = {
    "id": "ord_1",
    "order_number": "A-1",
    "status": "completed",
    "type": "online",
    "amount": 12.5,
    "currency": "eur",
    "edition_id": "edt_1",
    "organization_id": "org_1",
    "customer": {"api_id": "usr_1", "full_name": "Ann", "email": "a@example.com", "phone_number": None},
    "transaction_id": "trx_1",
    "created": "2026-06-01T10:00:00Z",
    "modified": "2026-06-01T10:00:00Z",
}


@pytest.mark.parametrize(
    ("kind", "values", "dtype", "expected"),
    [
        ("string", ["a", None, 3], "string", ["a", pd.NA, "3"]),
        ("float", [1, 2.5, None], "float64", [1.0, 2.5, float("nan")]),
        ("int", [1, None], "Int64", [1, pd.NA]),
        ("bool", [True, "false", "TRUE", None], "boolean", [True, False, True, pd.NA]),
        (
            "datetime",
            ["2026-06-01T10:00:00Z", "2026-06-01T12:00:00+02:00", None],
            "datetime64[ns, UTC]",
            [pd.Timestamp("2026-06-01T10:00Z")] * 2 + [pd.NaT],
        ),
    ],
)
def test_each_kind_gets_its_dtype(kind, values, dtype, expected):
    series = pd.Series(frames.convert(values, Column("x", kind)))
    assert str(series.dtype) == dtype
    pd.testing.assert_series_equal(series, pd.Series(expected, dtype=dtype), check_names=False)


def test_enum_column_holds_every_documented_value_and_keeps_unknown_ones():
    series = pd.Series(frames.convert(["paid", "weird"], Column("s", "category", ("paid", "pending"))))
    assert list(series.cat.categories) == ["paid", "pending", "weird"]
    assert series.value_counts()["pending"] == 0


def test_orders_frame_follows_the_contract():
    df = frames.frame("orders_list", [ORDER])
    declared = [c.name for c in frames.operation_columns("orders_list")]
    assert list(df.columns) == declared
    assert df["id"].dtype == "string"
    assert str(df["created"].dtype) == "datetime64[ns, UTC]"
    assert df["amount"].dtype == "float64"
    assert list(df["status"].cat.categories) == list(contract.enum("OrderStatus"))
    assert df.loc[0, "customer.email"] == "a@example.com"
    assert isinstance(df.index, pd.RangeIndex)


def test_empty_result_has_the_same_columns_and_dtypes():
    full = frames.frame("refunds_list", [])
    also_empty = frames.frame("refunds_list", [])
    assert len(full) == 0 and len(full.columns) > 40
    pd.testing.assert_series_equal(full.dtypes, also_empty.dtypes)
    assert str(full["created"].dtype) == "datetime64[ns, UTC]"
    assert full["status"].dtype == "category"


def test_unknown_fields_are_kept_after_the_declared_ones():
    df = frames.frame("orders_list", [{**ORDER, "new_field": "x", "extra": {"depth": 2}}])
    assert list(df.columns[-2:]) == ["new_field", "extra.depth"]
    assert df.loc[0, "extra.depth"] == 2


def test_null_nested_object_leaves_its_columns_empty():
    df = frames.frame("orders_list", [{**ORDER, "customer": None}])
    assert "customer" not in df.columns
    assert df["customer.api_id"].isna().all()


def test_free_form_objects_stay_whole():
    purchase = {
        "api_id": "pur_1",
        "status": "paid",
        "product": {"api_id": "prd_1", "name": "Beer"},
        "user": {"api_id": "usr_1"},
        "metadata": {"product_type": "drink"},
    }
    df = frames.to_frame([purchase], frames.schema_columns("Purchase"))
    assert df["metadata"].str.get("product_type").tolist() == ["drink"]
    assert df.loc[0, "product.name"] == "Beer"


def orders(n, start=0, **changes):
    return [{**ORDER, "id": f"ord_{i}", "order_number": f"A-{i}", **changes} for i in range(start, start + n)]


def test_pages_built_one_by_one_equal_one_frame_of_every_record():
    pages = [orders(3), orders(2, 3, status="pending"), orders(4, 5, customer=None)]
    whole = frames.frame("orders_list", [r for page in pages for r in page])
    built = frames.build(pages, frames.operation_columns("orders_list"))
    pd.testing.assert_frame_equal(built, whole)
    assert built["id"].tolist() == [f"ord_{i}" for i in range(9)]
    assert built["customer.email"].isna().tolist() == [False] * 5 + [True] * 4


def test_an_undeclared_field_in_a_later_page_is_kept_for_every_row():
    pages = [orders(2), orders(2, 2, new_field=7)]
    df = frames.build(pages, frames.operation_columns("orders_list"))
    assert df.columns[-1] == "new_field" and str(df["new_field"].dtype) == "Int64"
    assert df["new_field"].tolist() == [pd.NA, pd.NA, 7, 7]


def test_undocumented_enum_values_from_any_page_join_the_categories():
    pages = [orders(1, status="zeta"), orders(1, 1), orders(1, 2, status="alpha")]
    df = frames.build(pages, frames.operation_columns("orders_list"))
    assert list(df["status"].cat.categories) == [*contract.enum("OrderStatus"), "alpha", "zeta"]
    assert df["status"].tolist() == ["zeta", "completed", "alpha"]


def test_a_page_read_column_wise_equals_the_same_page_read_record_by_record():
    """Irregular records (a value where an object was declared, and the reverse) take the record path."""
    regular = orders(2)
    irregular = [*orders(1, 2, customer="walk-in"), *orders(1, 3, status={"code": "x"})]
    columns = frames.operation_columns("orders_list")
    both = frames.build([regular, irregular], columns)
    one_by_one = pd.concat([frames.frame("orders_list", [r]) for r in regular + irregular], ignore_index=True)
    assert list(both.columns[-2:]) == ["customer", "status.code"]
    assert both["customer"].isna().tolist() == [True, True, False, True] and both["customer"][2] == "walk-in"
    assert both["status"].tolist()[:3] == ["completed"] * 3 and pd.isna(both["status"][3])
    pd.testing.assert_series_equal(both["customer.email"], one_by_one["customer.email"])


def test_chunks_have_identical_columns_and_dtypes_and_add_up_to_the_frame(caplog):
    pages = [orders(3), orders(3, 3, status="zeta", extra="x"), orders(3, 6, amount=None), orders(1, 9)]
    columns = frames.operation_columns("orders_list")
    chunks = list(frames.chunked(pages, columns, rows=5))
    assert [len(c) for c in chunks] == [6, 4]  # whole pages, at least 5 rows but the last
    declared = [c.name for c in columns]
    for chunk in chunks:
        assert list(chunk.columns) == declared
        pd.testing.assert_series_equal(chunk.dtypes.astype(str), chunks[0].dtypes.astype(str))
    # an enum's categories: the documented ones, plus undocumented values of that chunk
    assert list(chunks[1]["status"].cat.categories) == list(contract.enum("OrderStatus"))
    assert list(chunks[0]["status"].cat.categories) == [*contract.enum("OrderStatus"), "zeta"]
    whole = frames.build(pages, columns).drop(columns="extra")
    joined = pd.concat(chunks, ignore_index=True)
    pd.testing.assert_frame_equal(joined.astype({"status": "string"}), whole.astype({"status": "string"}))
    assert any("left out of chunks: extra" in r.getMessage() for r in caplog.records)


def test_an_empty_result_is_one_empty_chunk_with_the_columns():
    chunks = list(frames.chunked(iter([]), frames.operation_columns("refunds_list"), rows=10))
    assert len(chunks) == 1 and len(chunks[0]) == 0
    pd.testing.assert_series_equal(chunks[0].dtypes, frames.frame("refunds_list", []).dtypes)


def test_python_string_storage_is_respected():
    with pd.option_context("mode.string_storage", "python"):
        df = frames.frame("orders_list", orders(2))
    assert df["id"].dtype == pd.StringDtype("python")


def test_equal_strings_inside_free_form_objects_are_kept_once():
    """250,000 purchases hold a few hundred distinct image URLs, not a million copies."""

    def purchase(i):  # decoded afresh, as from JSON: equal strings, distinct objects
        url = "".join(["https://media.example/p1.jpg", "?size=large"])
        return {
            "api_id": f"pur_{i}",
            "status": "paid",
            "product": {"api_id": "prd_1", "images": [{"large": url}]},
            "user": {"api_id": "usr_1"},
            "metadata": {"product_type": "".join(["dr", "ink"])},
        }

    df = frames.build([[purchase(0), purchase(1)], [purchase(2)]], frames.schema_columns("Purchase"))
    urls = [images[0]["large"] for images in df["product.images"]]
    assert urls == ["https://media.example/p1.jpg?size=large"] * 3 and urls[0] is urls[1] is urls[2]
    types = df["metadata"].str.get("product_type").tolist()
    assert types == ["drink"] * 3 and types[0] is types[2]


def python_path(monkeypatch):
    """Builders made after this read every page with the Python path (``_columnar``), as without pyarrow."""
    from preo_nb import _arrow

    monkeypatch.setattr(_arrow, "available", lambda: False)


IRREGULAR_BUT_DECLARED = [  # values Arrow reads as declared, in shapes a server may send
    orders(2),
    orders(1, 2, customer=None, amount=None, status="zeta"),
    orders(1, 3, amount=7, created="2026-06-01T12:00:00.250+02:00", transaction_id=None),
    [{k: v for k, v in o.items() if k not in ("currency", "type")} for o in orders(2, 4)],
    orders(1, 6, customer={"api_id": "usr_9", "full_name": None}),
]


def test_pages_arrow_reads_make_the_frame_the_python_path_makes(monkeypatch):
    from preo_nb import _arrow

    columns = frames.operation_columns("orders_list")
    read = _arrow.Reader.read
    arrow_pages = []
    monkeypatch.setattr(_arrow.Reader, "read", lambda self, rs: arrow_pages.append(read(self, rs)) or arrow_pages[-1])
    fast = frames.build(IRREGULAR_BUT_DECLARED, columns)
    assert len(arrow_pages) == 5 and None not in arrow_pages  # every page took the Arrow path
    python_path(monkeypatch)
    pd.testing.assert_frame_equal(fast, frames.build(IRREGULAR_BUT_DECLARED, columns))
    assert fast["created"][3] == pd.Timestamp("2026-06-01T10:00:00.250Z") and fast["amount"][3] == 7.0
    assert list(fast["status"].cat.categories)[-1] == "zeta" and pd.isna(fast["type"][5])


@pytest.mark.parametrize(
    "page",
    [
        orders(2, 10, amount="12.50"),  # money as text: read by the Python path, as a number
        orders(2, 10, id=12),  # an id as a number: shown as text
        orders(2, 10, new_field="x"),  # a field the contract does not know: kept
        orders(2, 10, customer={**ORDER["customer"], "vip": True}),  # the same, nested
        orders(2, 10, created="2026-06-01T10:00:00"),  # no offset: pandas reads it as UTC
        orders(2, 10, customer="walk-in"),  # a value where an object was declared
    ],
)
def test_a_page_arrow_cannot_read_as_declared_reads_as_before_in_order(monkeypatch, page):
    """Arrow refuses such a page (or column); it goes the Python way, between Arrow pages, rows in order."""
    pages = [orders(3), page, orders(2, 20)]
    columns = frames.operation_columns("orders_list")
    fast = frames.build(pages, columns)
    python_path(monkeypatch)
    pd.testing.assert_frame_equal(fast, frames.build(pages, columns))
    assert fast["order_number"].tolist() == ["A-0", "A-1", "A-2", "A-10", "A-11", "A-20", "A-21"]
