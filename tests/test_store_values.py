"""The typed columns' values: the pipeline's ISO text going in, the databases' objects coming back,
meeting in one form."""

from __future__ import annotations

import datetime as dt

import pandas as pd
from hypothesis import example, given
from hypothesis import strategies as st

from crmmigrate.store.values import stored_text, to_text


def _text(values: list, kind: str) -> list:
    return to_text(pd.Series(values, dtype=object), kind)[0].tolist()


def test_dates_and_times_in_the_pipelines_form_pass_as_they_are() -> None:
    assert _text(["1980-02-29", None, "1001-07-04"], "date") == ["1980-02-29", None, "1001-07-04"]
    assert _text(["2019-08-02T18:45:00", "2015-05-15"], "timestamp") == ["2019-08-02T18:45:00", "2015-05-15"]


def test_other_iso_spellings_and_offsets_become_the_pipelines_form_in_utc() -> None:
    assert _text(
        ["2019-08-02 18:45:00", "2019-08-02T18:45:00+02:00", "2019-08-02T18:45:00Z", "2020-01-01T00:00:00"],
        "timestamp",
    ) == ["2019-08-02T18:45:00", "2019-08-02T16:45:00", "2019-08-02T18:45:00", "2020-01-01"]


def test_values_that_are_not_dates_are_flagged_and_kept() -> None:
    text, bad = to_text(
        pd.Series(["1980-02-30", "soon", "2019-08-02T10:00:00", "1980-02-29"], dtype=object), "date"
    )
    assert bad.tolist() == [True, True, True, False]  # a birth date with a time of day is not a date
    assert text.tolist()[:2] == ["1980-02-30", "soon"]


def test_the_databases_objects_come_back_as_text() -> None:
    berlin = dt.timezone(dt.timedelta(hours=2))
    frame = pd.DataFrame(
        {
            "date_of_birth": [dt.date(999, 1, 1), None],
            "updated_at": [dt.datetime(2019, 8, 2, 18, 45, tzinfo=berlin), dt.datetime(2019, 8, 2)],
            "extra": [{"b": "2", "a": "ü"}, '{"a":"1"}'],
            "email": ["a@example.com", None],
        },
        dtype=object,
    )
    back = stored_text(frame)
    assert back.to_dict("list") == {
        "date_of_birth": ["0999-01-01", None],
        "updated_at": ["2019-08-02T16:45:00", "2019-08-02"],
        "extra": ['{"a":"ü","b":"2"}', '{"a":"1"}'],
        "email": ["a@example.com", None],
    }


moments = st.datetimes(min_value=dt.datetime(1000, 1, 1), max_value=dt.datetime(9998, 12, 31))
zones = st.one_of(
    st.none(), st.integers(-14 * 60, 14 * 60).map(lambda m: dt.timezone(dt.timedelta(minutes=m)))
)


@given(moments, zones)
def test_a_moment_written_as_text_reads_back_as_the_same_text(
    moment: dt.datetime, zone: dt.timezone | None
) -> None:
    aware = moment.replace(tzinfo=zone) if zone else moment
    loaded = _text([aware.isoformat()], "timestamp")[0]
    as_stored = aware.astimezone(dt.timezone.utc) if zone else moment  # what the database gives back
    assert stored_text(pd.DataFrame({"created_at": [as_stored]}, dtype=object))["created_at"][0] == loaded
    assert _text([loaded], "timestamp") == [loaded]  # the form is stable


@given(st.dates(min_value=dt.date(1000, 1, 1)))
def test_a_date_reads_back_as_the_same_text(day: dt.date) -> None:
    assert (
        stored_text(pd.DataFrame({"date_of_birth": [day]}, dtype=object))["date_of_birth"][0]
        == _text([day.isoformat()], "date")[0]
    )


@given(st.integers(0, 2100), st.integers(0, 13), st.integers(0, 32), *[st.integers(0, 61)] * 3)
@example(1981, 2, 29, 10, 0, 0)
@example(1980, 4, 31, 0, 0, 0)
@example(2019, 8, 2, 23, 59, 60)
@example(0, 1, 1, 0, 0, 0)
def test_a_moment_in_the_pipelines_form_passes_exactly_when_it_is_a_real_one(
    year: int, month: int, day: int, hour: int, minute: int, second: int
) -> None:
    date = f"{year:04d}-{month:02d}-{day:02d}"
    moment = f"{date}T{hour:02d}:{minute:02d}:{second:02d}"
    try:
        real = dt.datetime(year, month, day, hour, minute, second)
    except ValueError:
        real = None
    text, bad = to_text(pd.Series([date, moment], dtype=object), "timestamp")
    if real is None:  # 30 February, 24:00:00, 23:59:60, the year 0: kept as they are, and named
        assert bad.tolist()[1] and text.tolist()[1] == moment
    else:
        assert text.tolist()[1] == (date if real.time() == dt.time(0) else moment) and not bad.tolist()[1]
    assert text.tolist()[0] == date and bad.tolist()[0] == (real is None and not _is_day(date))


def _is_day(text: str) -> bool:
    try:
        return dt.date.fromisoformat(text).year >= 1
    except ValueError:
        return False
