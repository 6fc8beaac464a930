"""Values in the store's shape: text for everything, None for missing, a checksum any order agrees on."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from crmmigrate.store import golden_checksum
from crmmigrate.store.frames import custom_columns, customer_frame, text_column


def test_missing_values_of_every_kind_become_none() -> None:
    series = pd.Series(["a", None, np.nan, pd.NA, ""], dtype=object)
    assert text_column(series).tolist() == ["a", None, None, None, None]


def test_numbers_dates_and_booleans_become_their_usual_text() -> None:
    assert text_column(pd.Series([1.0, 2.5, np.nan])).tolist() == ["1", "2.5", None]
    assert text_column(pd.Series([True, False], dtype=object)).tolist() == ["true", "false"]
    assert text_column(pd.to_datetime(pd.Series(["1980-02-29", None]))).tolist() == ["1980-02-29", None]
    assert text_column(pd.Series(["x", 7], dtype=object)).tolist() == ["x", "7"]


def test_the_pandas_3_string_dtype_is_handled_like_object() -> None:
    series = pd.Series(["Jörg", None, ""], dtype="string")
    assert text_column(series).tolist() == ["Jörg", None, None]


def test_custom_fields_go_into_extra_as_sorted_json() -> None:
    golden = pd.DataFrame(
        {
            "customer_id": ["C1", "C2"],
            "loyalty": ["L1", None],
            "vat_id": ["DE1", None],
            "email_status": ["valid"] * 2,
        }
    )
    assert custom_columns(golden) == ["loyalty", "vat_id"]
    assert customer_frame(golden)["extra"].tolist() == ['{"loyalty":"L1","vat_id":"DE1"}', None]


def test_member_counts_come_from_the_cross_reference_when_the_golden_set_lacks_them() -> None:
    golden = pd.DataFrame({"customer_id": ["C1", "C2"]})
    xref = pd.DataFrame({"customer_id": ["C1", "C1", "C2"]})
    assert customer_frame(golden, xref)["member_count"].tolist() == [2, 1]


texts = st.one_of(st.none(), st.text(max_size=12))


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(texts, texts), min_size=1, max_size=20, unique_by=lambda t: t), st.randoms())
def test_the_checksum_ignores_row_order_but_not_values(rows: list, rnd) -> None:
    golden = pd.DataFrame(
        {
            "customer_id": [f"C{i}" for i in range(len(rows))],
            "email": [r[0] for r in rows],
            "city": [r[1] for r in rows],
        }
    )
    shuffled = golden.sample(frac=1.0, random_state=rnd.randint(0, 2**31)).reset_index(drop=True)
    assert golden_checksum(golden) == golden_checksum(shuffled)
    changed = golden.copy()
    city = golden.loc[0, "city"]
    changed.loc[0, "city"] = ("" if pd.isna(city) else city) + "x"
    assert golden_checksum(changed) != golden_checksum(golden)


@settings(max_examples=60, deadline=None)
@given(st.lists(texts, min_size=1, max_size=30))
def test_text_column_is_idempotent(values: list) -> None:
    once = text_column(pd.Series(values, dtype=object))
    assert text_column(once).tolist() == once.tolist()
    assert all(v is None or (isinstance(v, str) and v) for v in once)


def test_a_categorical_column_reads_as_the_same_text_as_an_object_one() -> None:
    plain = pd.Series(["C1", "", None, "C2", "C1", 7], dtype=object)
    categorical = plain.astype("category")
    expected = ["C1", None, None, "C2", "C1", "7"]
    assert text_column(categorical).tolist() == text_column(plain).tolist() == expected


def test_extra_escapes_custom_values_as_json_does() -> None:
    golden = pd.DataFrame(
        {"customer_id": ["C1", "C2"], "note": ['say "hi"\\now', None], "tag": ["é\x01", None]}
    )
    extra = customer_frame(golden)["extra"].tolist()
    assert extra == ['{"note":"say \\"hi\\"\\\\now","tag":"é\\u0001"}', None]
    assert json.loads(extra[0]) == {"note": 'say "hi"\\now', "tag": "é\x01"}


def test_source_rows_stay_an_integer_array_and_missing_ones_become_none() -> None:
    from crmmigrate.store.frames import lineage_frame

    lineage = pd.DataFrame({"customer_id": ["C1"] * 2, "field": ["email", "city"], "source": ["crm"] * 2})
    assert lineage_frame(lineage.assign(source_row=[3, 4]))["source_row"].dtype == np.int64
    assert lineage_frame(lineage.assign(source_row=[3.0, None]))["source_row"].tolist() == [3, None]


def test_the_checksum_reads_empty_text_as_missing_and_numbers_as_their_text() -> None:
    from crmmigrate.store.frames import frame_checksum

    rows = customer_frame(pd.DataFrame({"customer_id": ["C1"], "email": [None], "city": ["7"]}))
    as_read = rows.astype(object).assign(email=[""], city=pd.Series([7], dtype=object))
    assert frame_checksum(as_read) == frame_checksum(rows)
    assert frame_checksum(as_read.assign(city=[8])) != frame_checksum(rows)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(texts, texts, st.sampled_from([None, "", "1980-02-29", "1980-02-30"])), min_size=1))
def test_text_held_in_arrow_reads_as_the_same_text_and_checksum_as_python_objects(rows: list) -> None:
    from crmmigrate.store.frames import arrow_text, frame_checksum

    golden = pd.DataFrame(
        {
            "customer_id": [f"C{i}" for i in range(len(rows))],
            "email": [r[0] for r in rows],
            "loyalty": [r[1] for r in rows],  # a custom field: into `extra`
            "date_of_birth": [r[2] for r in rows],
        },
        dtype=object,
    )
    in_arrow = golden.astype("string[pyarrow]")
    for column in golden.columns:
        expected = text_column(golden[column]).tolist()
        assert arrow_text(in_arrow[column]).to_pylist() == arrow_text(golden[column]).to_pylist() == expected
    assert customer_frame(in_arrow).equals(customer_frame(golden))
    assert golden_checksum(in_arrow) == golden_checksum(golden) == frame_checksum(customer_frame(golden))


def test_the_customers_of_a_load_are_held_in_arrow_and_read_as_the_same_python_values() -> None:
    from crmmigrate.store.frames import customer_rows, python_values

    golden = pd.DataFrame(
        {
            "customer_id": ["C1", "C2", "C3"],
            "email": ["a@x.de", "", None],
            "date_of_birth": ["1980-02-29", None, "1990-01-01"],
            "member_count": [2, 1, None],
            "loyalty": ["L1", None, None],
        }
    )
    rows = customer_rows(golden)
    assert all(isinstance(rows[c].dtype, pd.ArrowDtype) for c in rows.columns)  # no Python value per row
    expected = customer_frame(golden)
    for column in rows.columns:
        assert python_values(rows[column]).tolist() == expected[column].tolist(), column
    assert expected["member_count"].tolist() == [2, 1, None]
    assert all(type(v) is int for v in expected["member_count"].dropna())


def test_the_cross_reference_reads_as_text_with_identities_numbers_and_none_for_missing() -> None:
    from crmmigrate.store.frames import python_values, xref_frame

    xref = pd.DataFrame(
        {
            "source": pd.Categorical(["crm", "crm", "erp", "erp"]),
            "source_row": [1, 2, 3, 4],
            "source_key": pd.Series([" K1 ", None, 17, "x" * 300], dtype=object),
            "customer_id": ["C1", "C1", "C2", "C3"],
            "match_score": [0.9, np.nan, 1.0, 1.0],
        }
    )
    rows = xref_frame(xref)
    values = {c: python_values(rows[c]).tolist() for c in rows.columns}
    assert values["source"] == ["crm", "crm", "erp", "erp"]
    assert values["source_row"] == [1, 2, 3, 4]
    assert values["source_key"] == [" K1 ", None, "17", "x" * 300]
    assert values["source_id"][:3] == ["K1", "#2", "17"]
    assert values["source_id"][3].startswith("sha256:")
    assert values["customer_id"] == ["C1", "C1", "C2", "C3"]
    assert values["match_score"] == [0.9, None, 1.0, 1.0]


def test_rows_as_drivers_give_them_hash_as_their_frame_read_back_does() -> None:
    """SQLite gives text (taken by Arrow in one call), PostgreSQL dates, aware times and dicts,
    a store changed by hand a number: every column hashes as `stored_text` then `row_digests` read it."""
    import datetime as dt

    from crmmigrate.store.frames import CHECKSUM_COLUMNS, row_digests, stored_texts, text_digests
    from crmmigrate.store.values import stored_text

    names = list(CHECKSUM_COLUMNS)

    def row(**values: object) -> tuple:
        return tuple(values.get(name) for name in names)

    as_sqlite = [
        row(customer_id="C1", email="", city="Köln", date_of_birth="1980-02-29", extra='{"a":1}'),
        row(customer_id="C2", created_at="2019-08-02T18:45:00+02:00", updated_at="2019-08-02T00:00:00"),
    ]
    utc = dt.timezone.utc
    as_postgresql = [
        row(customer_id="C1", date_of_birth=dt.date(1980, 2, 29), extra={"b": "é", "a": 1}),
        row(customer_id="C2", created_at=dt.datetime(2019, 8, 2, 16, 45, tzinfo=utc), city=7),
    ]
    for rows in (as_sqlite, as_postgresql, as_sqlite[:1] + as_postgresql[1:]):
        frame = stored_text(pd.DataFrame(rows, columns=names, dtype=object))
        expected = row_digests(frame)
        assert np.array_equal(text_digests(stored_texts(rows, names)), expected)
    assert not np.array_equal(
        text_digests(stored_texts(as_sqlite[:1], names)), text_digests(stored_texts(as_postgresql[:1], names))
    )
