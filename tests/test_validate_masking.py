"""Masking keeps the shape of a value (why it failed) and hides whose it is."""

from __future__ import annotations

import pandas as pd
from hypothesis import given
from hypothesis import strategies as st

from crmmigrate.validate.masking import display, display_series, is_personal, mask_value


def test_personal_columns_are_masked_others_shown() -> None:
    assert display("jane.doe@example.com", "email") == "j***.***@example.com"
    assert display("+4930123456", "phone") == "+49******56"
    assert display("Müller-Lüdenscheidt", "last_name") == "M*****-************"
    assert display("DE", "country") == "DE"
    assert is_personal("email_raw") and not is_personal("postal_code")
    assert display(None, "email") is None
    assert display("Jane", "custom", personal=True) == "J***"


def test_series_masking_keeps_missing_values_missing() -> None:
    shown = display_series(pd.Series(["Jane", None, "Jane"], dtype="string"), "first_name")
    assert shown.tolist() == ["J***", None, "J***"]


@given(st.text(min_size=2))
def test_a_mask_never_reveals_more_than_the_first_character_of_a_name(text: str) -> None:
    masked = mask_value(text, "last_name")
    assert masked is not None and len(masked) == len(text) and masked[0] == text[0]
    assert all(not ch.isalnum() or ch == "*" for ch in masked[1:])


@given(
    st.lists(st.one_of(st.none(), st.text(max_size=8), st.integers(-5, 5))),
    st.sampled_from(["email", "phone", "first_name", "postal_code", "updated_at"]),
    st.sampled_from([None, True, False]),
)
def test_a_series_is_shown_as_its_values_one_by_one(values: list, column: str, personal: bool | None) -> None:
    series = pd.Series(values, dtype=object)
    expected = [display(v, column, personal) for v in values]
    assert display_series(series, column, personal).tolist() == expected


def test_a_value_with_a_null_character_is_shown_as_it_is() -> None:
    series = pd.Series(["", "\x00", "a\x00b", None], dtype=object)
    assert display_series(series, "email", personal=False).tolist() == ["", "\x00", "a\x00b", None]
