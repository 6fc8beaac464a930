import pandas as pd
from hypothesis import given
from hypothesis import strategies as st

from crmmigrate.cleanse.text import clean_series, clean_text, fold


def test_invisible_characters_and_whitespace():
    assert clean_text("An\u200bna") == "Anna"
    assert clean_text("\ufeffBerlin") == "Berlin"
    assert clean_text("\u202eevil\u202c") == "evil"
    assert clean_text("  New \t York\n ") == "New York"
    assert clean_text("a\u00a0b") == "a b"


def test_missing_forms():
    values = pd.Series(["x", None, float("nan"), pd.NA, "", "   ", "\u200b"], dtype=object)
    assert clean_series(values).tolist() == ["x", None, None, None, None, None, None]


def test_fold():
    assert fold("Österreich") == "osterreich"


@given(st.text())
def test_idempotent_and_never_raises(text):
    once = clean_text(text)
    assert clean_text(once) == once


@given(st.lists(st.one_of(st.none(), st.text()), max_size=5))
def test_vectorised_series_agrees_with_the_single_value_function(texts):
    cleaned = clean_series(pd.Series(texts, dtype=object))
    assert [None if pd.isna(v) else v for v in cleaned] == [clean_text(t) for t in texts]


def test_non_text_values_are_cleaned_too():
    assert clean_series(pd.Series([12345, " a "], dtype=object)).tolist() == ["12345", "a"]
