import pandas as pd
import pytest

from preo_nb import contract, frames
from preo_nb.contract import Column

ORDER = {
    "id": "ord_1", "order_number": "A-1", "status": "completed", "type": "online", "amount": 12.5,
    "currency": "eur", "edition_id": "edt_1", "organization_id": "org_1",
    "customer": {"api_id": "usr_1", "full_name": "Ann", "email": "a@example.com", "phone_number": None},
    "transaction_id": "trx_1", "created": "2026-06-01T10:00:00Z", "modified": "2026-06-01T10:00:00Z",
}


@pytest.mark.parametrize(
    ("kind", "values", "dtype", "expected"),
    [
        ("string", ["a", None, 3], "string", ["a", pd.NA, "3"]),
        ("float", [1, 2.5, None], "float64", [1.0, 2.5, float("nan")]),
        ("int", [1, None], "Int64", [1, pd.NA]),
        ("bool", [True, "false", "TRUE", None], "boolean", [True, False, True, pd.NA]),
        ("datetime", ["2026-06-01T10:00:00Z", "2026-06-01T12:00:00+02:00", None],
         "datetime64[ns, UTC]", [pd.Timestamp("2026-06-01T10:00Z")] * 2 + [pd.NaT]),
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
    purchase = {"api_id": "pur_1", "status": "paid", "product": {"api_id": "prd_1", "name": "Beer"},
                "user": {"api_id": "usr_1"}, "metadata": {"product_type": "drink"}}
    df = frames.to_frame([purchase], frames.schema_columns("Purchase"))
    assert df["metadata"].str.get("product_type").tolist() == ["drink"]
    assert df.loc[0, "product.name"] == "Beer"
