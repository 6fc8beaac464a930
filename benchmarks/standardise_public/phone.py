"""Phones: libphonenumber's example numbers in the writings people use, through the real stage.

Cases: every example number of `phones_libphonenumber.jsonl` (one per region and number type,
with its E.164 form) is written 11 ways, each a staged row whose `country` is the number's region:

- `e164`: `+4930123456`;
- `national`: the digits a country's own people dial (its national format, trunk prefix included
  where the country uses one: `030123456`, `2015550123` in North America);
- `national formatted`: the country's own grouping (`030 123456`, `(201) 555-0123`);
- `international prefix`: the region's own international prefix (`00`, `011`, `810`...), the
  country code and the national number (`0049 30123456`);
- `+CC (0)`: `+49 (0)30123456`, for regions whose trunk prefix is `0`;
- `dashes`: the national digits in threes (`030-123-456`); `dots`: in pairs from the right
  (`06.96.88.35.76`); `spaces`: `+49 301 234 56`;
- `ext.`: the national grouping and ` ext. 12`; `x`: the spaced international form and ` x12`
  (the E.164 must be right and `phone_extension` must be `12`);
- `Tel: label`: `Tel: ` before the national grouping.

A user's `country` column holds ISO 3166 codes: rows of Ascension (AC) and Tristan da Cunha (TA),
regions of libphonenumber that share the ISO code of Saint Helena, say `SH`.

Scoring: right when the stage's `phone` equals the expected E.164 and its status is `valid` or
`fixed` (and, for the extension writings, the extension is `12`). Reported per writing, overall,
with the worst regions, and the stage's milliseconds per 1,000 rows.

Rows of France's overseas departments (GP, MQ, GF, RE, YT, BL, MF) whose country says `FR`, as
many users write it: the national writings of their fixed lines and mobiles must come out as the
department's number (France dials them nationally: `0696...` is Martinique). Their toll-free,
premium and VoIP numbers are left out: France's 08 and 09 numbers are national, and in a row
that says FR they are +33 numbers.

Second measurement, a default country that disagrees: the national writings (national, national
formatted, dashes, dots) with the row's own country and `default_country` DE (US for German rows),
and again with US (DE for North American rows); then the same with no country at all. Counted:
numbers that came out as a *different* number with a status other than `invalid`/`missing`.
With the row's own country that count must be 0; without one the default is all there is.
"""

from __future__ import annotations

import itertools
import re
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd
import phonenumbers

from .common import Result, read_jsonl, run_stage, staged

CORPUS = "phones_libphonenumber.jsonl"
#: libphonenumber regions that are not ISO 3166 countries, and the country a user's row names.
ISO_COUNTRY = {"AC": "SH", "TA": "SH"}
EXTENSION = "12"
OK = ("valid", "fixed")
NOT_INVALID = ("valid", "fixed", "inferred")
ONLY_PHONES = {"address": False, "name": False, "email": False, "date": False}
NATIONAL_WRITINGS = ("national", "national formatted", "dashes", "dots")
FRENCH_OVERSEAS = ("GP", "MQ", "GF", "RE", "YT", "BL", "MF")


def _national_format(case: dict[str, Any]) -> str:
    number = phonenumbers.parse(case["expected_e164"])
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL)


def _international_prefix(pattern: str) -> str:
    """A prefix the region dials abroad with: `00` when its pattern allows it, else the first that fits."""
    if pattern.isdigit():
        return pattern
    regex = re.compile(pattern)
    if regex.fullmatch("00"):
        return "00"
    for size in range(1, 6):
        for digits in itertools.product("0123456789", repeat=size):
            if regex.fullmatch(candidate := "".join(digits)):
                return candidate
    raise ValueError(f"no international prefix fits {pattern!r}")


def _threes(digits: str) -> list[str]:
    groups = []
    while len(digits) > 4:
        groups.append(digits[:3])
        digits = digits[3:]
    return [*groups, digits] if digits else groups


def _pairs(digits: str) -> list[str]:
    head = 3 if len(digits) % 2 else 2
    return [digits[:head]] + [digits[i : i + 2] for i in range(head, len(digits), 2)]


def _writings(case: dict[str, Any]) -> dict[str, str]:
    cc, nsn = case["country_code"], case["nsn"]
    formatted = _national_format(case)
    national = re.sub(r"\D", "", formatted)
    spaced = f"+{cc} " + " ".join(_threes(nsn))
    out = {
        "e164": case["expected_e164"],
        "national": national,
        "national formatted": formatted,
        "international prefix": f"{_international_prefix(case['international_prefix'])}{cc} {nsn}",
        "dashes": "-".join(_threes(national)),
        "dots": ".".join(_pairs(national)),
        "spaces": spaced,
        "ext.": f"{formatted} ext. {EXTENSION}",
        "x": f"{spaced} x{EXTENSION}",
        "Tel: label": f"Tel: {formatted}",
    }
    if case["national_prefix"] == "0":
        out["+CC (0)"] = f"+{cc} (0){nsn}"
    return out


def _country(region: str) -> str:
    return ISO_COUNTRY.get(region, region)


def _is_right(row: pd.Series, expected: str, writing: str) -> bool:
    if row["phone"] != expected or row["phone_status"] not in OK:
        return False
    return writing not in ("ext.", "x") or row["phone_extension"] == EXTENSION


def _other_number(row: pd.Series, expected: str) -> bool:
    """A number came out, with a status that vouches for it, and it is not the row's number."""
    return pd.notna(row["phone"]) and row["phone"] != expected and row["phone_status"] in NOT_INVALID


def _right_country(cases: list[dict[str, Any]]) -> list[Result]:
    rows, meta = [], []
    for case in cases:
        for writing, text in _writings(case).items():
            rows.append({"phone": text, "country": _country(case["region"])})
            meta.append((case, writing))
    clean, ms = run_stage(staged(rows), **ONLY_PHONES)
    by_writing: Counter[str] = Counter()
    right_by_writing: Counter[str] = Counter()
    wrong_by_region: Counter[str] = Counter()
    by_type: Counter[str] = Counter()
    right_by_type: Counter[str] = Counter()
    for (case, writing), (_, row) in zip(meta, clean.iterrows(), strict=True):
        right = _is_right(row, case["expected_e164"], writing)
        by_writing[writing] += 1
        right_by_writing[writing] += right
        by_type[case["type"]] += 1
        right_by_type[case["type"]] += right
        if not right:
            wrong_by_region[case["region"]] += 1
    worst = ", ".join(f"{region} {n}" for region, n in wrong_by_region.most_common(8))
    total = sum(right_by_writing.values())
    results = [Result("phone", "all (row's own country)", len(rows), total, ms, f"wrong most: {worst}")]
    results += [Result("phone", f"writing: {w}", n, right_by_writing[w]) for w, n in by_writing.items()]
    results += [Result("phone", f"type: {t}", n, right_by_type[t]) for t, n in by_type.most_common()]
    return results


def _disagreeing(
    cases: list[dict[str, Any]], label: str, default_for: Callable[[str], str], own_country: bool
) -> Result:
    """National writings under a default country other than the number's; per default, one stage run."""
    groups: dict[str, list[tuple[dict[str, Any], str]]] = {}
    for case in cases:
        writings = _writings(case)
        for writing in NATIONAL_WRITINGS:
            groups.setdefault(default_for(case["region"]), []).append((case, writings[writing]))
    cases_n = right = other = 0
    for default, items in groups.items():
        rows = [
            {"phone": text, "country": _country(c["region"]) if own_country else None} for c, text in items
        ]
        clean, _ = run_stage(staged(rows), default_country=default, **ONLY_PHONES)
        for (case, _text), (_, row) in zip(items, clean.iterrows(), strict=True):
            cases_n += 1
            right += _is_right(row, case["expected_e164"], "national")
            other += _other_number(row, case["expected_e164"])
    note = f"{other} became a different number (status valid/fixed/inferred); right: {right}"
    return Result("phone", label, cases_n, cases_n - other, None, note)


def _overseas_as_france(cases: list[dict[str, Any]]) -> Result:
    items = [
        (case, _writings(case)[writing])
        for case in cases
        if case["region"] in FRENCH_OVERSEAS and case["type"] in ("fixedLine", "mobile")
        for writing in NATIONAL_WRITINGS
    ]
    clean, _ = run_stage(staged([{"phone": text, "country": "FR"} for _, text in items]), **ONLY_PHONES)
    right = other = 0
    for (case, _text), (_, row) in zip(items, clean.iterrows(), strict=True):
        right += _is_right(row, case["expected_e164"], "national")
        other += _other_number(row, case["expected_e164"])
    note = f"{other} became a different number"
    return Result("phone", "French overseas rows saying FR (fixed, mobile)", len(items), right, None, note)


def _nanp(region: str) -> bool:
    return phonenumbers.country_code_for_region(region) == 1


def measure(data: Path) -> list[Result]:
    cases = read_jsonl(data / CORPUS)
    results = _right_country(cases)
    results.append(_overseas_as_france(cases))

    def de_else_us(region: str) -> str:
        return "US" if region == "DE" else "DE"

    def us_else_de(region: str) -> str:
        return "DE" if _nanp(region) else "US"

    results.append(_disagreeing(cases, "own country, default DE: not another number", de_else_us, True))
    results.append(_disagreeing(cases, "own country, default US: not another number", us_else_de, True))
    results.append(_disagreeing(cases, "no country, default DE: not another number", de_else_us, False))
    return results
