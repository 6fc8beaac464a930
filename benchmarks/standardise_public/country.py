"""Countries: CLDR's territory names in 40 languages (`countries_cldr.jsonl`: lang, name, expected).

Cases: every name is one staged row's `country`, and the rows go through the real standardise
stage (the other standardisers off, so the time is the country field's). A case is right when the
clean `country` equals the expected ISO 3166-1 alpha-2 code and the status is valid or fixed. A
code given that differs from the expected one is a WRONG code, counted apart: an unknown country
(status invalid) costs a point, a wrong one misleads every later stage, so the target is 0.

Slices: all names; each language, worst first; then the same names in everyday writings built
generically from them: upper-case, lower-case and, for names in Latin script, without accents
(only writings that differ from the name are counted); one typo (a letter dropped, doubled,
swapped with the next or replaced, seeded) in Latin-script names of 6+ letters, and two typos in
names of 10+ letters. The "no wrong code" lines list examples of wrong codes. Last, words that
are not countries: the city names of OpenCage's address tests (`addresses_opencage.jsonl`) given
as a country, where any code but the city's own country is wrong.

The time is the stage's per 1,000 values after one small warm-up call, whose time (the lazy
build of the name index) is given in the note of the "all" line.
"""

from __future__ import annotations

import json
import random
import time
import unicodedata
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import Any

from .common import Result, read_jsonl, run_stage, staged

FIELD = "country"
CORPUS = "countries_cldr.jsonl"
OFF = {"phone": False, "address": False, "name": False, "email": False, "date": False}
RIGHT_STATUSES = frozenset({"valid", "fixed"})
EXAMPLES = 12


def _strip_accents(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    return unicodedata.normalize("NFC", "".join(ch for ch in decomposed if not unicodedata.combining(ch)))


def _latin(text: str) -> bool:
    return all(not ch.isalpha() or "LATIN" in unicodedata.name(ch, "") for ch in text)


WRITINGS: dict[str, Callable[[str], str | None]] = {
    "upper-case": str.upper,
    "lower-case": str.lower,
    "without accents": lambda name: _strip_accents(name) if _latin(name) else None,
}


def _typo(name: str, rng: random.Random) -> str:
    """One typing slip at a letter (not the first): dropped, doubled, swapped with the next, replaced."""
    at = [i for i, ch in enumerate(name) if i > 0 and ch.isalpha()]
    i = rng.choice(at)
    kind = rng.randrange(4)
    if kind == 0:
        return name[:i] + name[i + 1 :]
    if kind == 1:
        return name[:i] + name[i] + name[i:]
    if kind == 2 and i + 1 < len(name) and name[i + 1].isalpha():
        return name[:i] + name[i + 1] + name[i] + name[i + 2 :]
    return name[:i] + rng.choice("abcdefghijklmnopqrstuvwxyz") + name[i + 1 :]


def _typos(cases: list[dict[str, Any]], slips: int, min_letters: int, seed: int) -> list[dict[str, Any]]:
    rng = random.Random(seed)
    out = []
    for case in cases:
        name = case["name"]
        if not _latin(name) or sum(ch.isalpha() for ch in name) < min_letters:
            continue
        written = name
        for _ in range(slips):
            written = _typo(written, rng)
        if written.casefold() != name.casefold():
            out.append({**case, "name": written})
    return out


def _score(cases: list[dict[str, Any]]) -> tuple[list[bool], list[str | None], float]:
    """Right or not per case, the code given per case, and ms per 1,000 values."""
    clean, ms = run_stage(staged([{"country": case["name"]} for case in cases]), **OFF)
    codes = clean["country"].astype(object).where(clean["country"].notna(), None).tolist()
    statuses = clean["country_status"].tolist()
    right = [
        code == case["expected"] and status in RIGHT_STATUSES
        for case, code, status in zip(cases, codes, statuses, strict=True)
    ]
    return right, codes, ms


def _wrong(cases: list[dict[str, Any]], codes: list[str | None], label: str) -> Result:
    wrong = [
        (case, code)
        for case, code in zip(cases, codes, strict=True)
        if code is not None and code != case["expected"]
    ]
    examples = ", ".join(f"{c['lang']}:{c['name']!r}->{code} (not {c['expected']})" for c, code in wrong)
    shown = ", ".join(examples.split(", ")[:EXAMPLES])
    note = f"{len(wrong)} wrong: {shown}" if wrong else "0 wrong"
    return Result(FIELD, f"{label}: no wrong code", len(cases), len(cases) - len(wrong), note=note)


def measure(data: Path) -> list[Result]:
    cases = read_jsonl(data / CORPUS)
    start = time.perf_counter()
    run_stage(staged([{"country": "Germany"}, {"country": "Atlantis"}]), **OFF)
    warm_ms = 1000 * (time.perf_counter() - start)

    right, codes, ms = _score(cases)
    languages = len({case["lang"] for case in cases})
    results = [
        Result(
            FIELD,
            f"all ({languages} languages)",
            len(cases),
            sum(right),
            ms,
            f"first call (builds the index): {warm_ms:.0f} ms",
        ),
        _wrong(cases, codes, "all"),
    ]
    by_language: dict[str, list[bool]] = defaultdict(list)
    for case, ok in zip(cases, right, strict=True):
        by_language[case["lang"]].append(ok)
    for lang, oks in sorted(by_language.items(), key=lambda item: (sum(item[1]) / len(item[1]), item[0])):
        missed = [c["name"] for c, ok in zip(cases, right, strict=True) if c["lang"] == lang and not ok]
        note = ", ".join(missed[:6])
        results.append(Result(FIELD, f"language {lang}", len(oks), sum(oks), note=note))

    for label, write in WRITINGS.items():
        written = []
        for case in cases:
            text = write(case["name"])
            if text is not None and text != case["name"]:
                written.append({**case, "name": text})
        w_right, w_codes, w_ms = _score(written)
        misses = [c["name"] for c, ok in zip(written, w_right, strict=True) if not ok]
        results.append(Result(FIELD, label, len(written), sum(w_right), w_ms, ", ".join(misses[:6])))
        results.append(_wrong(written, w_codes, label))

    for label, written in (
        ("one typo", _typos(cases, 1, 6, seed=13)),
        ("two typos", _typos(cases, 2, 10, seed=14)),
    ):
        w_right, w_codes, w_ms = _score(written)
        misses = [c["name"] for c, ok in zip(written, w_right, strict=True) if not ok]
        results.append(Result(FIELD, label, len(written), sum(w_right), w_ms, ", ".join(misses[:6])))
        results.append(_wrong(written, w_codes, label))

    results.append(_cities(data))
    return results


def _cities(data: Path) -> Result:
    """City names given as the country: unknown or the city's own country, never another."""
    addresses = read_jsonl(data / "addresses_opencage.jsonl")
    cities = {}
    for address in addresses:
        city = address.get("city") or json.loads(address["components"]).get("city")
        if city:
            cities.setdefault(city, address["cc"].upper())
    cases = [{"lang": "city", "name": city, "expected": cc} for city, cc in cities.items()]
    _, codes, _ = _score(cases)
    return _wrong(cases, codes, "city names as country")
