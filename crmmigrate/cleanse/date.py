"""Dates to ISO 8601, deciding day-first or month-first per source column from its values.

`03/04/2021` is ambiguous alone; in a column where another value reads `25/04/2021` it is
day-first. The order is decided once per (source, column) from the distinct values and then
every value is parsed with it. Impossible dates and birth dates in the future or before the year
1000 are `invalid`. An old birth date is kept (genealogy, historical records, a typo'd century):
a plausibility rule may flag it, but standardising never deletes a real date.
"""

from __future__ import annotations

import datetime as dt
import re

import pandas as pd

from ..schema import Status
from .text import as_list, fold

COLUMNS = ["value", "status"]
MIN_BIRTH_YEAR = 1000

MONTHS: dict[str, int] = {}
for _number, _names in enumerate(
    (
        "jan january januar janvier enero gennaio januari janeiro stycznia styczen leden ocak",
        "feb february februar fevrier febrero febbraio februari fevereiro lutego luty unor subat",
        "mar march marz maerz mars marzo maart marco marca marzec brezen mart",
        "apr april avril abril aprile kwietnia kwiecien duben nisan",
        "may mai mayo maggio mei maio maja maj kveten mayis",
        "jun june juni juin junio giugno junho czerwca czerwiec cerven haziran",
        "jul july juli juillet julio luglio julho lipca lipiec cervenec temmuz",
        "aug august aout agosto augustus sierpnia sierpien srpen agustos",
        "sep sept september septembre septiembre settembre setembro wrzesnia wrzesien zari eylul",
        "oct october oktober octobre octubre ottobre outubro okt pazdziernika pazdziernik rijen ekim",
        "nov november novembre noviembre novembro listopada listopad kasim",
        "dec december dezember decembre diciembre dicembre dezembro dez grudnia grudzien prosinec aralik",
    ),
    start=1,
):
    for _name in _names.split():
        MONTHS[_name] = _number

_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_ISO_DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}$")
_YMD = re.compile(r"^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})(?:[T ](.*))?$")
_COMPACT = re.compile(r"^(\d{4})(\d{2})(\d{2})$")
_NUMERIC = re.compile(r"^(\d{1,2})\s?[-/.]\s?(\d{1,2})\s?[-/.]\s?(\d{2}|\d{4})(?:[T ,]+(.*))?$")
_WORDY = re.compile(r"[a-z]+|\d+")
_TIME = re.compile(
    r"^(\d{1,2}):(\d{2})(?::(\d{2}))?(?:[.,]\d+)?\s*(am|pm)?\s*(z|utc|gmt|[+-]\d{2}:?\d{2})?$", re.I
)


def date_order(values: pd.Series) -> bool | None:
    """True if the column's numeric dates are day-first, False if month-first, None if undecided."""
    day_first = month_first = 0
    for value in pd.unique(values.dropna()):
        match = _NUMERIC.match(str(value).strip())
        if match:
            first, second = int(match.group(1)), int(match.group(2))
            day_first += first > 12 >= second
            month_first += second > 12 >= first
    if day_first == month_first:
        return None
    return day_first > month_first


def _time(text: str | None) -> dt.time | None | bool:
    """A time of day; None when absent; False when present but unreadable."""
    if not text:
        return None
    match = _TIME.match(text.strip())
    if not match:
        return False
    hour, minute, second = int(match.group(1)), int(match.group(2)), int(match.group(3) or 0)
    meridian = (match.group(4) or "").lower()
    if meridian == "pm" and hour < 12:
        hour += 12
    elif meridian == "am" and hour == 12:
        hour = 0
    try:
        return dt.time(hour, minute, second)
    except ValueError:
        return False


def _year(text: str, birth: bool) -> int:
    year = int(text)
    if len(text) == 2:
        pivot = dt.date.today().year % 100
        year += 1900 if (birth and year > pivot) or (not birth and year > pivot + 10) else 2000
    return year


def parse_date(
    text: str, day_first: bool = True, birth: bool = False
) -> tuple[dt.date, dt.time | None] | None:
    """(date, time or None) for the common written forms; None when impossible or unreadable."""
    try:
        return _parse(text.strip(), day_first, birth)
    except (ValueError, OverflowError):
        return None


def _parse(text: str, day_first: bool, birth: bool) -> tuple[dt.date, dt.time | None] | None:
    match = _YMD.match(text) or _COMPACT.match(text)
    if match:
        rest = match.group(4) if match.re is _YMD else None
        year, month, day = int(match.group(1)), int(match.group(2)), int(match.group(3))
    elif match := _NUMERIC.match(text):
        a, b = int(match.group(1)), int(match.group(2))
        day, month = (a, b) if day_first else (b, a)
        year, rest = _year(match.group(3), birth), match.group(4)
    else:
        return _parse_words(text, birth)
    time = _time(rest)
    if time is False:
        return None
    return dt.date(year, month, day), time


def _parse_words(text: str, birth: bool) -> tuple[dt.date, dt.time | None] | None:
    """ "4 March 2021", "March 4, 2021", "04-Mar-21", "4. März 2021", "4 de marzo de 2021"."""
    time_part = re.search(r"\d{1,2}:\d{2}(?::\d{2})?(?:\s*[ap]m)?", text, re.I)
    time = _time(time_part.group(0)) if time_part else None
    if time is False:
        return None
    if time_part:
        text = text[: time_part.start()] + text[time_part.end() :]
    tokens = _WORDY.findall(fold(text))
    month = next((MONTHS[t] for t in tokens if t in MONTHS), None)
    numbers = [t for t in tokens if t.isdigit()]
    if month is None or len(numbers) != 2:
        return None
    day_text, year_text = (numbers[1], numbers[0]) if len(numbers[0]) == 4 else (numbers[0], numbers[1])
    return dt.date(_year(year_text, birth), month, int(day_text)), time


def standardise_date(
    value: str | None, day_first: bool = True, birth: bool = False, with_time: bool = False
) -> tuple[str | None, str]:
    """(ISO text, status): YYYY-MM-DD, or YYYY-MM-DDTHH:MM:SS when `with_time` and a time was given."""
    if value is None:
        return None, Status.MISSING.value
    if _ISO_DATE.match(value) or (with_time and _ISO_DATETIME.match(value)):
        parsed = parse_date(value)  # still checked: 2021-02-30 is not a date
    else:
        parsed = parse_date(value, day_first, birth)
    if parsed is None:
        return None, Status.INVALID.value
    date, time = parsed
    if birth and not (dt.date(MIN_BIRTH_YEAR, 1, 1) <= date <= dt.date.today()):
        return None, Status.INVALID.value
    iso = date.isoformat()
    if with_time and time is not None and not (time == dt.time(0) and len(value) <= 10):
        iso = f"{iso}T{time.isoformat(timespec='seconds')}"
    return iso, Status.VALID.value if iso == value else Status.FIXED.value


def standardise_dates(
    values: pd.Series, day_first: bool = True, birth: bool = False, with_time: bool = False
) -> pd.DataFrame:
    """Columns value/status; ISO values checked in bulk, the rest once per distinct value."""
    texts = pd.Series(as_list(values), index=values.index, dtype=object)
    out = pd.DataFrame({"value": None, "status": None}, index=values.index, dtype=object)
    done = _iso_in_bulk(texts, out, birth, with_time)
    cache: dict[str | None, tuple[str | None, str]] = {}
    rest = []
    for key in texts[~done].tolist():
        result = cache.get(key)
        if result is None:
            result = cache[key] = standardise_date(key, day_first, birth, with_time)
        rest.append(result)
    if rest:
        out.loc[~done, ["value", "status"]] = rest
    return out


#: ISO forms pandas checks in C: (format, text length, is the text already standard).
_BULK_FORMATS = (
    ("%Y-%m-%d", 10, True),
    ("%Y-%m-%dT%H:%M:%S", 19, True),
    ("%Y-%m-%d %H:%M:%S", 19, False),
    ("%Y-%m-%dT%H:%M:%S.%fZ", 24, False),  # Salesforce and JavaScript exports
)


def _iso_in_bulk(texts: pd.Series, out: pd.DataFrame, birth: bool, with_time: bool) -> pd.Series:
    """Fill `out` for ISO dates and timestamps (checked by pandas, cut to shape); returns the rows done."""
    done = pd.Series(False, index=texts.index)
    lengths = texts.str.len()
    for fmt, length, standard in _BULK_FORMATS:
        todo = ~done & (lengths == length)
        if not todo.any():
            continue
        parsed = pd.to_datetime(texts[todo], format=fmt, errors="coerce")
        # pandas may take year 0, which no calendar date has. One whole-column test, not `ok[ok] =`:
        # pandas 2 aligns that Series on the index, upcasts `ok` to object and warns.
        ok = parsed.notna() & (parsed.dt.year >= 1)
        if not ok.any():
            continue
        rows = parsed.index[ok]
        text = texts[rows]
        if with_time and length > 10:
            values = text.str.slice(0, 10) + "T" + text.str.slice(11, 19)
            fixed = not standard
        else:
            values = text.str.slice(0, 10)
            fixed = length > 10
        status = pd.Series(Status.FIXED.value if fixed else Status.VALID.value, index=rows, dtype=object)
        values = values.astype(object)
        if birth:
            moments = parsed[ok]
            bad = moments >= pd.Timestamp(dt.date.today()) + pd.Timedelta(days=1)  # older: not parsed here
            values = values.mask(bad, None)
            status = status.mask(bad, Status.INVALID.value)
        out.loc[rows, "value"] = values
        out.loc[rows, "status"] = status
        done[rows] = True
    return done
