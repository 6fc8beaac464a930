import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from crmmigrate.cleanse.name import (
    match_first_name,
    proper_case,
    split_full_name,
    standardise_name_part,
    standardise_names,
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("JOHN SMITH", "John Smith"),
        ("mcdonald", "McDonald"),
        ("MACDONALD", "MacDonald"),
        ("mack", "Mack"),
        ("o'brien", "O'Brien"),
        ("jean-luc", "Jean-Luc"),
        ("DeVito", "DeVito"),
        ("VAN DER BERG", "van der Berg"),
        ("ÉMILE", "Émile"),
    ],
)
def test_proper_case(text, expected):
    assert proper_case(text) == expected


@pytest.mark.parametrize(
    ("text", "first", "last"),
    [
        ("SMITH, John", "John", "Smith"),
        ("Dr. John Smith Jr.", "John", "Smith"),
        ("Ludwig van Beethoven", "Ludwig", "van Beethoven"),
        ("YAMADA Taro", "Taro", "Yamada"),
        ("Prof. Dr. Hans Müller", "Hans", "Müller"),
        ("Mary-Jane O'Neil", "Mary-Jane", "O'Neil"),
    ],
)
def test_split_full_name(text, first, last):
    assert split_full_name(text) == (first, last)


def test_nicknames_for_matching():
    assert [match_first_name(n) for n in ("Bob", "Kate", "Hans", "Sepp", "Paco", "Pepe", "Jean", "José")] == [
        "robert",
        "katherine",
        "johannes",
        "josef",
        "francisco",
        "jose",
        "jean",
        "jose",
    ]


def test_rows_compose_and_split():
    out = standardise_names(
        pd.Series(["bob", None]), pd.Series(["SMITH", None]), pd.Series([None, "Mrs. Kate O'NEIL"])
    )
    assert out["full_name"].tolist() == ["Bob Smith", "Kate O'Neil"]
    assert out["full_name_status"].tolist() == ["inferred", "fixed"]
    assert out[["first_name", "first_name_status"]].values.tolist() == [
        ["Bob", "fixed"],
        ["Kate", "inferred"],
    ]
    assert out["first_name_match"].tolist() == ["robert", "katherine"]


@given(st.text(max_size=30))
def test_idempotent_and_never_raises(text):
    value, _ = standardise_name_part(text.strip() or None)
    if value is not None:
        assert standardise_name_part(value) == (value, "valid")


@given(
    st.one_of(st.none(), st.text(max_size=20)),
    st.one_of(st.none(), st.text(max_size=20)),
    st.one_of(st.none(), st.text(max_size=30)),
)
def test_rows_never_raise_and_are_idempotent(first, last, full):
    clean = [None if v is None or not v.strip() else " ".join(v.split()) for v in (first, last, full)]
    once = standardise_names(*(pd.Series([v], dtype=object) for v in clean))
    row = once.iloc[0]
    again = standardise_names(
        *(pd.Series([row[c]], dtype=object) for c in ("first_name", "last_name", "full_name"))
    )
    for column in ("first_name", "last_name", "full_name"):
        assert again[column].iloc[0] == row[column]


@pytest.mark.parametrize("typed", ["Sir", "Maj. Gen.", "1st", "Dr", "Mr."])
def test_a_title_alone_in_the_name_field_is_not_a_name(typed: str) -> None:
    """A CRM's first-name field holding only "Sir" or "Dr": no name, kept raw, marked invalid."""
    assert standardise_name_part(typed) == (None, "invalid")
    assert standardise_name_part(f"{typed} John") == ("John", "fixed")
