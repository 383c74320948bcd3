"""Reading import files and the mapping rules, without a server; and the files seeder."""

from __future__ import annotations

import pickle

import pytest

from preo_nb.sandbox import build
from preo_nb.sandbox.files import rules_imports as import_rules
from preo_nb.sandbox.files import seed as seed_files
from preo_nb.sandbox.files.reader import UnreadableFile, read_table


@pytest.mark.parametrize(
    ("content", "header", "rows"),
    [
        (b"a,b\n1,2\n", ["a", "b"], [["1", "2"]]),
        (b"a;b\r\n1,5;2\r\n", ["a", "b"], [["1,5", "2"]]),  # Danish Excel: semicolons, decimal comma
        (b"a\tb\n1\t2\n", ["a", "b"], [["1", "2"]]),
        ("\ufeffé,b\n1,2\n".encode(), ["é", "b"], [["1", "2"]]),  # UTF-8 with a BOM
        ("é,b\n1,2\n".encode("latin-1"), ["é", "b"], [["1", "2"]]),
        (b"a,,a\n1,2,3\n\n,,\n", ["a", "Column 2", "a (2)"], [["1", "2", "3"]]),  # blank rows dropped
        (b"a,b\n1\n1,2,3\n", ["a", "b"], [["1", ""], ["1", "2"]]),  # ragged rows fit the header
    ],
)
def test_csv_files_are_read(content: bytes, header: list[str], rows: list[list[str]]) -> None:
    assert read_table("x.csv", content) == (header, rows)


@pytest.mark.parametrize(
    ("name", "content"),
    [("x.csv", b""), ("x.csv", b"a,b\n"), ("x.csv", b"\x00\x01binary"), ("x.xlsx", b"nope"), ("x.xls", b"\xd0\xcf")],
)
def test_unreadable_files_say_why(name: str, content: bytes) -> None:
    with pytest.raises(UnreadableFile) as info:
        read_table(name, content)
    assert str(info.value).endswith(".")


def test_headers_suggest_their_column_type() -> None:
    found = import_rules.suggest(["Customer Email", "product-code", "QTY", "Quantity", "quantity", "Notes"])
    assert found == {
        "Customer Email": "customer_email",
        "product-code": "product_code",
        "QTY": None,
        "Quantity": "quantity",
        "quantity": None,
        "Notes": None,
    }


@pytest.mark.parametrize(
    ("phone", "prefix", "expected"),
    [
        ("20 30 40 50", "+45", "+4520304050"),
        ("0612345678", "+31", "+31612345678"),
        ("0046 70 123", "+45", "+4670123"),
        ("+44 20 1234", "+45", "+44201234"),
        ("", "+45", None),
    ],
)
def test_phone_numbers_get_the_default_prefix(phone: str, prefix: str, expected: str | None) -> None:
    assert import_rules.normalise_phone(phone, prefix) == expected


def test_the_files_seeder_is_deterministic_and_leaves_other_data_alone(monkeypatch: pytest.MonkeyPatch) -> None:
    first, second = build(1, "tiny"), build(1, "tiny")
    assert pickle.dumps(first.data.files) == pickle.dumps(second.data.files)
    assert pickle.dumps(first.data.data_imports) == pickle.dumps(second.data.data_imports)
    assert first.data.emitted == []  # seeding announces nothing to webhooks
    monkeypatch.setattr(seed_files, "add_files", lambda store, seed: None)
    monkeypatch.setattr(seed_files, "add_imports", lambda store, seed: None)
    without = build(1, "tiny")
    for table in ("organizations", "editions", "products", "customers", "orders", "purchases", "refunds"):
        assert pickle.dumps(getattr(first.data, table)) == pickle.dumps(getattr(without.data, table)), table
