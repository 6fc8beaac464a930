"""Mapping rules turn legacy columns into canonical ones: column, join, const, values, format, split."""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import given
from hypothesis import strategies as st

from crmmigrate.extract.chunk import RawChunk
from crmmigrate.extract.mapper import MappingPlan, apply_mapping
from crmmigrate.extract.names import split_name
from crmmigrate.mappings.spec import MappingSpec


def stage(rows: list[dict[str, str]], mapping: dict) -> tuple[pd.DataFrame, pd.DataFrame]:
    frame = pd.DataFrame(rows, dtype=object)
    spec = MappingSpec.model_validate(mapping)
    chunk = RawChunk(frame, np.arange(1, len(frame) + 1, dtype=np.int64))
    return apply_mapping(chunk, MappingPlan(spec, tuple(frame.columns)), "shop")


def cell(df: pd.DataFrame, column: str, i: int = 0) -> object:
    value = df[column].iloc[i]
    return None if pd.isna(value) else value


def test_join_skips_empty_parts_and_const_fills_every_row() -> None:
    staged, _ = stage(
        [{"Strasse": "Hauptstr.", "Nr": "5", "Name": "Ann"}, {"Strasse": "Ring", "Nr": "", "Name": "Bo"}],
        {
            "columns": {
                "last_name": "Name",
                "address_line1": {"join": ["Strasse", "Nr"]},
                "country": {"const": "DE"},
            }
        },
    )
    assert staged["address_line1"].tolist() == ["Hauptstr. 5", "Ring"]
    assert staged["country"].tolist() == ["DE", "DE"]


def test_value_map_matches_case_insensitively_and_keeps_unknown_values() -> None:
    staged, _ = stage(
        [{"n": "A", "nl": "J"}, {"n": "B", "nl": "n"}, {"n": "C", "nl": "vielleicht"}, {"n": "D", "nl": "-"}],
        {
            "columns": {
                "last_name": "n",
                "newsletter": {"column": "nl", "values": {"J": "true", "N": "false", "-": None}},
            }
        },
    )
    assert [cell(staged, "newsletter", i) for i in range(4)] == ["true", "false", "vielleicht", None]


def test_date_format_gives_iso_and_leaves_other_values_raw() -> None:
    staged, _ = stage(
        [{"n": "A", "d": "17.05.1980", "t": "03/02/2021 14:05"}, {"n": "B", "d": "unknown", "t": ""}],
        {
            "columns": {
                "last_name": "n",
                "date_of_birth": {"column": "d", "format": "%d.%m.%Y"},
                "created_at": {"column": "t", "format": "%d/%m/%Y %H:%M"},
            }
        },
    )
    assert staged["date_of_birth"].tolist() == ["1980-05-17", "unknown"]
    assert cell(staged, "created_at") == "2021-02-03T14:05:00"
    assert cell(staged, "created_at", 1) is None


def test_split_full_name_both_orders() -> None:
    staged, _ = stage(
        [{"Name": "Müller, Anna"}, {"Name": "Ludwig van Beethoven"}, {"Name": "Cher"}],
        {
            "columns": {
                "first_name": {"column": "Name", "split": "first"},
                "last_name": {"column": "Name", "split": "last"},
            }
        },
    )
    assert [cell(staged, "first_name", i) for i in range(3)] == ["Anna", "Ludwig", None]
    assert staged["last_name"].tolist() == ["Müller", "van Beethoven", "Cher"]


def test_custom_targets_and_keep_columns_follow_the_canonical_ones() -> None:
    staged, _ = stage(
        [{"Id": "7", "Name": "Ann", "Kundengruppe": "Gold", "Handy": "0170 1"}],
        {"key": "Id", "columns": {"last_name": "Name", "mobile_phone": "Handy"}, "keep": ["Kundengruppe"]},
    )
    assert list(staged.columns[-2:]) == ["mobile_phone", "Kundengruppe"]
    assert cell(staged, "source_key") == "7" and cell(staged, "source") == "shop"


def test_rows_without_customer_data_are_rejected_with_reason_and_raw_values() -> None:
    staged, rejects = stage(
        [
            {"Id": "1", "Name": "Ann", "Ort": "Bonn"},
            {"Id": "", "Name": " ", "Ort": ""},
            {"Id": "3", "Name": "", "Ort": "Köln"},
        ],
        {"key": "Id", "columns": {"last_name": "Name", "city": "Ort", "country": {"const": "DE"}}},
    )
    assert staged["source_row"].tolist() == [1]
    assert rejects["reason"].tolist() == ["empty_row", "no_identity"]
    assert rejects["source_row"].tolist() == [2, 3]
    assert rejects["Ort"].tolist() == ["", "Köln"]


def test_a_birth_date_or_a_street_is_enough_to_stage_a_row() -> None:
    """A web form that asked only for a birth date and a city still names someone to match."""
    staged, rejects = stage(
        [
            {"Geb": "1978-05-01", "Strasse": "", "Ort": "Bonn"},
            {"Geb": "", "Strasse": "Hauptstr. 5", "Ort": "Bonn"},
            {"Geb": "", "Strasse": "", "Ort": "Bonn"},
        ],
        {"columns": {"date_of_birth": "Geb", "address_line1": "Strasse", "city": "Ort"}},
    )
    assert staged["source_row"].tolist() == [1, 2]
    assert rejects["reason"].tolist() == ["no_identity"]


@given(
    st.text(alphabet=st.characters(categories=["L"]), min_size=1, max_size=12),
    st.text(alphabet=st.characters(categories=["L"]), min_size=1, max_size=12),
)
def test_split_name_round_trips_last_comma_first(first: str, last: str) -> None:
    assert split_name(f"{last}, {first}") == (first, last)
    got_first, got_last = split_name(f"{first} {last}")
    assert f"{got_first} {got_last}" == f"{first} {last}"
