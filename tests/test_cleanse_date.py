import datetime as dt

import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from crmmigrate.cleanse.date import date_order, standardise_date, standardise_dates


@pytest.mark.parametrize(
    ("text", "day_first", "expected"),
    [
        ("2021-03-04", True, ("2021-03-04", "valid")),
        ("03/04/2021", True, ("2021-04-03", "fixed")),
        ("03/04/2021", False, ("2021-03-04", "fixed")),
        ("31/02/2021", True, (None, "invalid")),
        ("4 March 2021", True, ("2021-03-04", "fixed")),
        ("March 4, 2021", True, ("2021-03-04", "fixed")),
        ("4. März 2021", True, ("2021-03-04", "fixed")),
        ("4 de marzo de 2021", True, ("2021-03-04", "fixed")),
        ("20210304", True, ("2021-03-04", "fixed")),
        ("garbage", True, (None, "invalid")),
    ],
)
def test_dates(text, day_first, expected):
    assert standardise_date(text, day_first) == expected


def test_birth_dates_in_the_future_or_before_the_year_1000_are_invalid():
    assert standardise_date("2090-01-01", birth=True)[1] == "invalid"
    assert standardise_date("0999-12-31", birth=True)[1] == "invalid"
    assert standardise_date("12.05.1980", birth=True) == ("1980-05-12", "fixed")


def test_old_birth_dates_are_kept():
    """Historical records, genealogy, a typo'd century: a rule may flag them, standardising keeps them."""
    assert standardise_date("1850-01-01", birth=True) == ("1850-01-01", "valid")
    assert standardise_date("1630-08-01", birth=True) == ("1630-08-01", "valid")
    assert standardise_date("01.08.1630", birth=True) == ("1630-08-01", "fixed")
    column = standardise_dates(pd.Series(["1630-08-01", "1850-01-01", "1980-05-12"]), birth=True)
    assert column["value"].tolist() == ["1630-08-01", "1850-01-01", "1980-05-12"]
    assert column["status"].tolist() == ["valid"] * 3


def test_timestamps():
    assert standardise_date("2021-03-04 14:05:33", with_time=True) == ("2021-03-04T14:05:33", "fixed")
    assert standardise_date("03/04/2021 2:05 PM", False, with_time=True) == ("2021-03-04T14:05:00", "fixed")


def test_order_decided_from_the_column():
    assert date_order(pd.Series(["03/04/2021", "25/04/2021"])) is True
    assert date_order(pd.Series(["03/04/2021", "04/25/2021"])) is False
    assert date_order(pd.Series(["03/04/2021"])) is None


@given(st.text(max_size=25), st.booleans(), st.booleans())
def test_never_raises_and_idempotent(text, day_first, with_time):
    value, _ = standardise_date(text, day_first, with_time=with_time)
    if value is not None:
        assert standardise_date(value, day_first, with_time=with_time) == (value, "valid")


@given(st.dates(min_value=dt.date(1000, 1, 1), max_value=dt.date(2020, 12, 31)))
def test_every_iso_date_is_valid(date):
    assert standardise_date(date.isoformat(), birth=True) == (date.isoformat(), "valid")


iso_like = st.one_of(
    st.datetimes(min_value=dt.datetime(1800, 1, 1), max_value=dt.datetime(2100, 1, 1)).map(
        lambda d: d.strftime(d.strftime("%Y-%m-%d") + ("T%H:%M:%S" if d.second % 3 else " %H:%M:%S"))
    ),
    st.dates(min_value=dt.date(1800, 1, 1), max_value=dt.date(2100, 1, 1)).map(dt.date.isoformat),
    st.datetimes(min_value=dt.datetime(1800, 1, 1), max_value=dt.datetime(2100, 1, 1)).map(
        lambda d: d.strftime("%Y-%m-%dT%H:%M:%S.") + f"{d.microsecond // 1000:03d}Z"
    ),
    st.from_regex(r"\A\d{4}-\d{2}-\d{2}( \d{2}:\d{2}:\d{2})?\Z"),
    st.text(max_size=12),
)


@given(st.lists(st.one_of(st.none(), iso_like), max_size=6), st.booleans(), st.booleans())
def test_bulk_path_agrees_with_the_single_value_function(texts, birth, with_time):
    out = standardise_dates(pd.Series(texts, dtype=object), True, birth, with_time)
    expected = [standardise_date(t, True, birth, with_time) for t in texts]
    assert list(zip(out["value"], out["status"], strict=True)) == expected


def test_year_zero_is_invalid_in_bulk_as_one_by_one():
    bulk = standardise_dates(pd.Series(["0000-01-01", "0001-01-01"]))
    assert bulk.values.tolist() == [[None, "invalid"], ["0001-01-01", "valid"]]
    assert standardise_date("0000-01-01") == (None, "invalid")
