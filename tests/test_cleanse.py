import numpy as np
import pandas as pd
import pytest

from crmmigrate.cleanse import StandardiseOptions, standardise
from crmmigrate.schema import DERIVED_COLUMNS, FIELDS, STATUSES


def staged() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "source": ["crm", "crm", "shop"],
            "source_row": [1, 2, 1],
            "first_name": ["bob", None, "ANNA"],
            "last_name": ["SMITH", None, "müller"],
            "full_name": [None, "Dr. Hans MÜLLER", None],
            "email": ["Bob@GMIAL.com", "info@firma.de", "n/a"],
            "phone": ["(212) 555-0100", "+49 30 1234567", "0171 1234567"],
            "address_line1": [
                "123 Main St, Springfield, IL 62704",
                "Hauptstr. 1",
                "Hauptstraße 12, 10115 Berlin",
            ],
            "city": [None, "BERLIN", None],
            "postal_code": [None, "1067", None],
            "country": ["USA", None, "Deutsch\u200bland"],
            "date_of_birth": ["03/04/1980", "25/12/1975", "1980-01-01"],
            "loyalty_no": [" L1\u200b ", None, "L3"],
        },
        index=[10, 11, 12],
    )


def test_contract_columns_rows_and_index():
    out = standardise(staged(), StandardiseOptions(default_country="DE"))
    assert list(out.index) == [10, 11, 12]
    for field in FIELDS:
        assert {field, f"{field}_raw", f"{field}_status"} <= set(out.columns)
        assert set(out[f"{field}_status"]) <= set(STATUSES)
    assert set(DERIVED_COLUMNS) <= set(out.columns)


def test_the_worked_example():
    out = standardise(staged(), StandardiseOptions(default_country="DE"))
    assert out["country"].tolist() == ["US", "DE", "DE"]
    assert out["country_status"].tolist() == ["fixed", "inferred", "fixed"]
    assert out["phone"].tolist() == ["+12125550100", "+49301234567", "+491711234567"]
    assert out[["city", "postal_code", "region"]].iloc[0].tolist() == ["Springfield", "62704", "US-IL"]
    assert out["address_line1"].iloc[0] == "123 Main St"
    assert out["postal_code"].iloc[1] == "01067" and out["city"].iloc[1] == "Berlin"
    assert out["date_of_birth"].tolist() == ["1980-04-03", "1975-12-25", "1980-01-01"]
    assert out["first_name_match"].tolist() == ["robert", "johannes", "anna"]
    assert out["email_role"].tolist() == [False, True, False]
    assert out["loyalty_no"].tolist()[::2] == ["L1", "L3"]


def test_standardising_clean_output_again_changes_nothing():
    once = standardise(staged(), StandardiseOptions(default_country="DE"))
    again = standardise(
        once[list(FIELDS) + ["source", "source_row"]], StandardiseOptions(default_country="DE")
    )
    for field in FIELDS:
        assert again[field].equals(once[field]), field
        present = once[field].notna()
        assert (again[f"{field}_status"][present] == "valid").all(), field


def test_missing_columns_are_created_and_missing():
    out = standardise(pd.DataFrame({"source": ["a"], "source_row": [1], "email": ["x@y.de"]}))
    assert out["phone_status"].tolist() == ["missing"]
    assert out["email"].tolist() == ["x@y.de"]


def test_chunks_over_processes_give_the_same_result(monkeypatch):
    import crmmigrate.cleanse.stage as cleanse

    frame = pd.concat([staged()] * 4, ignore_index=True)
    serial = standardise(frame, StandardiseOptions(default_country="DE", workers=1))
    monkeypatch.setattr(cleanse, "PARALLEL_FROM", 5)
    monkeypatch.setattr(cleanse, "CHUNK_ROWS", 5)
    parallel = standardise(frame, StandardiseOptions(default_country="DE", workers=2))
    pd.testing.assert_frame_equal(serial, parallel)


def test_chunks_are_as_many_for_each_worker():
    from crmmigrate.cleanse.stage import CHUNK_ROWS, chunk_count

    assert chunk_count(1_000_487, 2) == 22  # not 21: one worker would do the last chunk alone
    assert chunk_count(20 * CHUNK_ROWS, 2) == 20
    assert chunk_count(3 * CHUNK_ROWS, 4) == 4
    assert chunk_count(10, 3) == 3


@pytest.mark.parametrize("dtype", ["string[pyarrow]", "string[python]", object])
def test_standard_values_merge_into_the_raw_column_in_its_own_dtype(dtype):
    from crmmigrate.cleanse.stage import _merge

    raw = pd.Series(["Bob", None, "anna", "x", "Zoë"], index=[5, 6, 7, 8, 9], dtype=dtype)
    values = np.array([None, None, "Anna", np.nan, "Zoë Ü"], dtype=object)
    keep_raw = np.array([True, False, False, True, False])
    merged = _merge(raw, values, keep_raw)
    expected = pd.Series(["Bob", None, "Anna", "x", "Zoë Ü"], index=raw.index, dtype=raw.dtype)
    pd.testing.assert_series_equal(merged, expected)


def test_a_watched_run_hears_the_rows_done_chunk_by_chunk_and_gives_the_same_result(monkeypatch):
    import crmmigrate.cleanse.stage as cleanse

    frame = pd.concat([staged()] * 4, ignore_index=True)
    options = StandardiseOptions(default_country="DE", workers=1)
    unwatched = standardise(frame, options)
    monkeypatch.setattr(cleanse, "CHUNK_ROWS", 5)
    heard = []
    watched = standardise(
        frame, options, steps=lambda done, total, step="", unit="rows": heard.append((done, total))
    )
    assert heard == [(0, 12), (5, 12), (10, 12), (12, 12)]
    pd.testing.assert_frame_equal(unwatched, watched)


def test_text_dtype_input_and_duplicate_index_keep_their_shape():
    frame = staged().astype({"email": "string", "country": "string"})
    frame.index = [5, 5, 6]
    out = standardise(frame, StandardiseOptions(default_country="DE"))
    assert list(out.index) == [5, 5, 6]
    assert out["email"].tolist()[:2] == ["Bob@gmail.com", "info@firma.de"]
    assert out["country"].tolist() == ["US", "DE", "DE"]


def test_switched_off_standardisers_still_give_every_column():
    options = StandardiseOptions(
        phone=False, email=False, name=False, date=False, address=False, country=False
    )
    out = standardise(staged(), options)
    assert set(DERIVED_COLUMNS) <= set(out.columns)
    assert out["phone"].tolist() == staged()["phone"].tolist()
    assert out["country"].fillna("").tolist() == ["USA", "", "Deutschland"]
    assert out["country_status"].tolist() == ["valid", "missing", "fixed"]


def test_phones_are_read_in_the_rows_own_country_and_the_default_only_fills_in():
    frame = pd.DataFrame(
        {
            "phone": ["(555) 123-4567", "06 96 12 34 56", "40123", "030 1234567", "+247 62345"],
            "country": ["USA", "France", "Ascension Island", None, None],
        }
    )
    for options in (
        StandardiseOptions(default_country="DE"),
        StandardiseOptions(default_country="DE", country=False),
    ):
        out = standardise(frame, options)
        assert pd.isna(out["phone"].iloc[0])
        assert out["phone"].tolist()[1:] == ["+596696123456", "+24740123", "+49301234567", "+24762345"]
        assert out["phone_status"].tolist() == ["invalid", "fixed", "fixed", "fixed", "fixed"]
        assert out["phone_raw"].tolist()[0] == "(555) 123-4567"
    assert pd.isna(out["country"].iloc[4])  # country switched off: nothing inferred
    inferred = standardise(frame, StandardiseOptions(default_country="DE"))
    assert inferred["country"].tolist()[4] == "SH"  # Ascension is part of Saint Helena's ISO code


@pytest.mark.parametrize(
    "key, values",
    [
        ("email_status", ["valid", "fixed", "missing", "valid"]),
        ("email", ["a@x.org", None, "Zoë@例え.jp", ""]),
        ("phone", ["+4930123456", None, float("nan"), None]),
        ("email_role", [True, False, True, False]),
    ],
)
def test_results_travel_between_processes_in_compact_form_and_unpack_unchanged(key, values):
    from crmmigrate.cleanse.stage import _pack, _unpack

    original = np.array(values, dtype=object)
    back = _unpack(_pack(key, original))
    assert len(back) == len(original)
    for a, b in zip(back, original, strict=True):
        assert (pd.isna(a) and pd.isna(b)) if pd.isna(b) else a == b
        assert type(a) is type(b) or pd.isna(b)


def test_a_multi_line_address_is_parsed_by_its_lines_and_never_run_together():
    frame = pd.DataFrame(
        {
            "source": ["crm", "crm"],
            "source_row": [1, 2],
            "address_line1": ["Gontardstraße 7\r\n10178 Berlin", "Flat 3\n14 High Street"],
            "city": [None, "Leeds"],
            "country": ["DE", "GB"],
        }
    )
    out = standardise(frame, StandardiseOptions())
    assert out[["address_line1", "postal_code", "city"]].iloc[0].tolist() == [
        "Gontardstraße 7",
        "10178",
        "Berlin",
    ]
    assert out["address_line1"].iloc[1] == "Flat 3, 14 High Street"
    assert out["address_line1_status"].iloc[1] == "fixed"
    assert out["address_line1_raw"].iloc[0] == "Gontardstraße 7\r\n10178 Berlin"


def test_a_parsed_address_loses_nothing():
    frame = pd.DataFrame(
        {
            "source": ["crm"] * 3,
            "source_row": [1, 2, 3],
            "address_line1": ["04109 Leipzig", "12 Mill Road\nLondon\nE10", "Ecobank\n7th Avenue\nAccra"],
            "country": ["DE", "GB", "GH"],
        }
    )
    out = standardise(frame, StandardiseOptions())
    # only a code and a town: no street left, and the status says so
    assert pd.isna(out["address_line1"].iloc[0]) and out["address_line1_status"].iloc[0] == "missing"
    assert out[["city", "postal_code"]].iloc[0].tolist() == ["Leipzig", "04109"]
    # a district code alone ("E10") is no valid postcode: the line is kept whole rather than lose it
    assert out["address_line1"].iloc[1] == "12 Mill Road, London, E10"
    assert out[["address_line1", "city"]].iloc[2].tolist() == ["Ecobank, 7th Avenue", "Accra"]
