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
