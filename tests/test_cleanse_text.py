import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from crmmigrate.cleanse.text import clean_lines, clean_series, clean_text, fold


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


def test_lines_of_a_multi_line_field_are_kept():
    assert clean_lines("Gontardstraße 7\r\n  10178   Berlin \r\n\n") == "Gontardstraße 7\n10178 Berlin"
    assert clean_lines("Flat 3\u2028 14 High St\x0bLeeds") == "Flat 3\n14 High St\nLeeds"
    assert clean_lines(" \n \n") is None
    assert clean_text("Gontardstraße 7\n10178 Berlin") == "Gontardstraße 7 10178 Berlin"


@settings(deadline=None)
@given(st.text())
def test_lines_cleaned_are_lines_of_clean_text(text):
    once = clean_lines(text)
    assert clean_lines(once) == once
    assert once is None or all(line == clean_text(line) for line in once.split("\n"))


def test_series_with_lines_kept():
    values = pd.Series(["a\r\nb", " c ", None], dtype=object)
    assert clean_series(values, keep_lines=True).tolist() == ["a\nb", "c", None]
