"""Lists larger than memory: DataFrame chunks and a streamed Parquet export, against the live sandbox."""

import json

import pandas as pd
import pytest

import preo_nb

pq = pytest.importorskip("pyarrow.parquet")
NOWHERE = "http://127.0.0.1:9"  # nothing listens there


@pytest.fixture
def preo(sandbox, connect_to):
    """An admin client reading pages of 100 rows, on the freshly seeded sandbox."""
    sandbox.reset()
    return connect_to(sandbox.url, sandbox.token, page_size=100)


def test_a_list_read_in_chunks_adds_up_to_the_whole_list(sandbox, preo):
    edition = sandbox.store.busiest_edition()["id"]
    whole = preo.orders.list(edition_id=edition, ordering="created")
    chunks = list(preo_nb.iter_frames(preo.orders.list, edition_id=edition, ordering="created", chunksize=250))
    assert len(chunks) > 2
    assert all(len(c) == 300 for c in chunks[:-1])  # whole pages of 100, at least 250 rows
    for chunk in chunks:
        pd.testing.assert_series_equal(chunk.dtypes, whole.dtypes)
    pd.testing.assert_frame_equal(pd.concat(chunks, ignore_index=True), whole)


def test_purchases_stream_into_one_parquet_file(sandbox, preo, tmp_path):
    edition = sandbox.store.edition(2, 1)["id"]
    target = tmp_path / "purchases.parquet"
    rows = preo_nb.to_parquet(target, preo.orders.purchases, edition_id=edition, chunksize=200)
    whole = preo.orders.purchases(edition_id=edition)
    assert rows == len(whole) > 200
    assert pq.ParquetFile(target).num_row_groups > 1
    assert [p.name for p in tmp_path.iterdir()] == ["purchases.parquet"]  # no .partial left
    back = pd.read_parquet(target)
    assert list(back.columns) == list(whole.columns)
    assert back["api_id"].tolist() == whole["api_id"].tolist()
    assert back["price"].sum() == pytest.approx(whole["price"].sum())
    assert back["created"].equals(whole["created"])
    assert [json.loads(m) for m in back["metadata"]] == whole["metadata"].tolist()  # free-form: JSON text


def test_chunks_keep_what_each_list_adds(sandbox, preo):
    webhooks = pd.concat(preo_nb.iter_frames(preo.webhooks.list, chunksize=1))
    assert set(webhooks["secret"].dropna()) == {"whsec_***"}
    files = next(preo_nb.iter_frames(preo.files.list, chunksize=1))
    assert files.attrs["available_tags"] == preo.files.list().attrs["available_tags"] != []
    endpoint = webhooks["id"].iloc[0]
    deliveries = list(preo_nb.iter_frames(preo.webhooks.list_deliveries, endpoint))
    assert len(deliveries) == 1 and list(deliveries[0].columns) == list(preo.webhooks.list_deliveries(endpoint).columns)


def test_a_failed_export_leaves_no_file(tmp_path, sandbox, preo):
    def broken():
        yield preo.editions.list()
        raise preo_nb.TransportError("the connection dropped", method="GET", url="/v1/editions")

    with pytest.raises(preo_nb.TransportError):
        preo_nb.to_parquet(tmp_path / "editions.parquet", broken())
    assert list(tmp_path.iterdir()) == []


def test_chunked_reads_are_checked_before_anything_is_sent(connect_to, nothing_sent):
    preo = connect_to(NOWHERE, "t0k3n-value")
    with pytest.raises(preo_nb.PreoValidationError, match="chunksize"):
        preo_nb.iter_frames(preo.orders.list, edition_id="edt_1", chunksize=0)
    with pytest.raises(preo_nb.PreoValidationError, match="does not return a DataFrame"):
        preo_nb.iter_frames(preo.auth.me)
    with pytest.raises(preo_nb.PreoValidationError, match="did you mean 'edition_id'"):
        preo_nb.iter_frames(preo.orders.list, editon_id="edt_1")
    chunks = preo_nb.iter_frames(preo.orders.list, edition_id="edt_1")
    assert nothing_sent == []  # pages are read as the chunks are
    del chunks


INJECTED = '=HYPERLINK("http://x")'


def customer_typed():
    """Text customers typed, starting with each character a spreadsheet treats as a formula, and numbers."""
    names = [INJECTED, "+31 6 1234", "-2+3", "@SUM(A1)", "\tcmd", "\rcmd", "Ann Smith", None]
    return pd.DataFrame(
        {
            "customer.full_name": pd.array(names, dtype="string"),
            "comment": pd.Series(names, dtype=object),
            "status": pd.Categorical(
                ["completed", "=cmd", "completed", "pending", "pending", "pending", "pending", None]
            ),
            "amount": [-12.5, 1234.5, 0.0, -1.0, 2.0, 3.0, 4.0, float("nan")],
            "quantity": pd.array([-1, 2, 3, 4, 5, 6, 7, None], dtype="Int64"),
            "metadata": [{"pickup_point": "=bar"}, {}, None, {"a": [1, 2]}, {}, {}, {}, None],
            "events": [["order.created"], [], None, ["*"], [], [], [], None],
            "created": pd.date_range("2026-08-30 12:00", periods=8, freq="h", tz="Europe/Amsterdam"),
        }
    )


def test_csv_export_keeps_customer_text_as_text_and_numbers_as_numbers(tmp_path):
    frame = customer_typed()
    path = preo_nb.to_csv(frame, tmp_path / "orders.csv")
    text = pd.read_csv(path, dtype=str, keep_default_na=False)
    assert text["customer.full_name"].tolist() == [
        "'" + INJECTED,
        "'+31 6 1234",
        "'-2+3",
        "'@SUM(A1)",
        "'\tcmd",
        "'\rcmd",
        "Ann Smith",
        "",
    ]
    assert text["comment"].tolist() == text["customer.full_name"].tolist()
    assert text["status"].tolist()[:2] == ["completed", "'=cmd"]
    numbers = pd.read_csv(path)
    assert numbers["amount"].tolist()[:7] == [-12.5, 1234.5, 0.0, -1.0, 2.0, 3.0, 4.0]  # negatives untouched
    assert numbers["quantity"].tolist()[:7] == [-1, 2, 3, 4, 5, 6, 7]
    assert json.loads(text["metadata"][0]) == {"pickup_point": "=bar"}  # JSON, not a Python repr
    assert json.loads(text["events"][3]) == ["*"]
    assert text["created"][0] == "2026-08-30 12:00:00+02:00"
    pd.testing.assert_frame_equal(frame, customer_typed())  # the caller's frame is left as it was


def test_excel_export_writes_utc_times_and_no_formula(tmp_path):
    openpyxl = pytest.importorskip("openpyxl")
    path = preo_nb.to_excel(customer_typed(), tmp_path / "orders.xlsx")
    sheet = openpyxl.load_workbook(path).active
    rows = list(sheet.iter_rows(values_only=True))
    header, first = rows[0], rows[1]
    cell = dict(zip(header, first, strict=True))
    assert cell["customer.full_name"] == "'" + INJECTED
    assert all(c.data_type != "f" for row in sheet.iter_rows() for c in row)  # nothing is a formula
    assert cell["amount"] == -12.5 and cell["quantity"] == -1
    assert cell["created"] == pd.Timestamp("2026-08-30 10:00").to_pydatetime()  # 12:00 in Amsterdam, as UTC
    assert json.loads(cell["metadata"]) == {"pickup_point": "=bar"}
