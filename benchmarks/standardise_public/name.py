"""Person names: nameparser's own test cases through the real standardise stage.

Cases. `names_nameparser.jsonl` holds assertions (input, attr in title/first/middle/last/suffix/
nickname, expected); they are grouped by input, 254 names. Our schema has `first_name`,
`last_name` and `full_name` (no title, middle, suffix or nickname columns), so:

- first_name must be the expected `first`, last_name the expected `last`. An attribute the corpus
  does not assert for a name is expected empty (nameparser leaves it empty: "Rev Andrews" has no
  first name, "Coach" is only a title). Middle names are not part of first_name.
- full_name (our display name) must be first, middle, last and suffix in that order: titles and
  nicknames are left out.
- Compared casefolded (the stage re-cases "john e. smith"; the corpus keeps the input's case), with
  commas dropped and spaces collapsed; `None` and "" are the same.

Slices:

- `full: first+last` (the primary metric): each name as a row's `full_name`, no first or last name
  given; right when first_name and last_name are both right. `full: first`, `full: last`: each
  on its own. `full: display`: full_name right. `full: first(+middle)+last`: as the primary
  metric, but first_name may also hold the middle names ("John A." for John A. Doe).
- `casing`: `names_casing_nameparser.jsonl`, input as full_name; the stage's full_name must be the
  expected text exactly (case-sensitive). Titles are not part of our full_name, so the expected
  text may have leading words (a title) that ours lacks: right when the expected text ends with
  ours and ours starts with the first name the stage found.
- `split: pass-through`: the names with both a first and a last name, given already split as
  first_name and last_name columns; right when both come out as they went in (casefolded).
- `speed`: 20,000 distinct full names built (seeded) from the corpus's parts: title, first,
  middle, last, suffix in "First Last" and "Last, First" order; ms per 1,000 values of the stage
  where every name needs parsing; right as for `full: first+last`.

A `nameparser` line gives the library's own result on `full: first+last` (scored the same way),
when the library is installed.
"""

from __future__ import annotations

import random
from collections import defaultdict
from pathlib import Path
from typing import Any

import pandas as pd

from .common import Result, read_jsonl, run_stage, staged

FIELD = "name"
ATTRS = ("title", "first", "middle", "last", "suffix", "nickname")


def _norm(value: Any) -> str:
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return ""
    return " ".join(str(value).replace(",", " ").split()).casefold()


def _names(data: Path) -> dict[str, dict[str, str]]:
    """Expected parts per input (an attribute not asserted: empty)."""
    names: dict[str, dict[str, str]] = defaultdict(lambda: dict.fromkeys(ATTRS, ""))
    for row in read_jsonl(data / "names_nameparser.jsonl"):
        names[row["input"]][row["attr"]] = row["expected"]
    return dict(names)


def _display(parts: dict[str, str]) -> str:
    return _norm(" ".join(parts[a] for a in ("first", "middle", "last", "suffix") if parts[a]))


def _full_name_slices(names: dict[str, dict[str, str]]) -> list[Result]:
    inputs = list(names)
    clean, ms = run_stage(staged([{"full_name": text} for text in inputs]))
    first = [_norm(v) == _norm(names[t]["first"]) for t, v in zip(inputs, clean["first_name"], strict=True)]
    last = [_norm(v) == _norm(names[t]["last"]) for t, v in zip(inputs, clean["last_name"], strict=True)]
    display = [_norm(v) == _display(names[t]) for t, v in zip(inputs, clean["full_name"], strict=True)]
    both = [f and la for f, la in zip(first, last, strict=True)]
    with_middle = [
        la and _norm(v) in {_norm(names[t]["first"]), _norm(f"{names[t]['first']} {names[t]['middle']}")}
        for t, v, la in zip(inputs, clean["first_name"], last, strict=True)
    ]
    n = len(inputs)
    return [
        Result(FIELD, "full: first+last", n, sum(both), ms, "primary; nameparser tests, one name per row"),
        Result(FIELD, "full: first(+middle)+last", n, sum(with_middle), note="middle names may be in first"),
        Result(FIELD, "full: first", n, sum(first)),
        Result(FIELD, "full: last", n, sum(last)),
        Result(FIELD, "full: display", n, sum(display), note="full_name = first middle last suffix"),
    ]


def _nameparser_reference(names: dict[str, dict[str, str]]) -> list[Result]:
    try:
        from nameparser import HumanName
    except ImportError:
        return []
    right = 0
    for text, parts in names.items():
        parsed = HumanName(text)
        right += _norm(parsed.first) == _norm(parts["first"]) and _norm(parsed.last) == _norm(parts["last"])
    return [Result("ref", "nameparser: first+last", len(names), right, note="the library itself")]


def _casing_slice(data: Path) -> Result:
    cases = read_jsonl(data / "names_casing_nameparser.jsonl")
    clean, ms = run_stage(staged([{"full_name": c["input"]} for c in cases]))
    right = 0
    for case, full, first in zip(cases, clean["full_name"], clean["first_name"], strict=True):
        expected = case["expected"]
        full = full or ""
        ends = bool(full) and (expected == full or expected.endswith(" " + full))
        right += ends and (not first or full.startswith(first))
    return Result(FIELD, "casing", len(cases), right, ms, "full_name exactly as expected (titles aside)")


def _pass_through_slice(names: dict[str, dict[str, str]]) -> Result:
    split = [(p["first"], p["last"]) for p in names.values() if p["first"] and p["last"]]
    rows = [{"first_name": f, "last_name": la} for f, la in split]
    clean, ms = run_stage(staged(rows))
    right = sum(
        _norm(f_out) == _norm(f) and _norm(l_out) == _norm(la)
        for (f, la), f_out, l_out in zip(split, clean["first_name"], clean["last_name"], strict=True)
    )
    return Result(FIELD, "split: pass-through", len(split), right, ms, "first/last columns kept")


def _speed_slice(names: dict[str, dict[str, str]], n: int = 20_000) -> Result:
    rng = random.Random(13)
    parts = {a: sorted({p[a] for p in names.values() if p[a]}) for a in ATTRS}
    firsts = [f for f in parts["first"] if " " not in f and "." not in f]
    lasts = [la for la in parts["last"] if la[:1].isupper()]
    cases: dict[str, tuple[str, str]] = {}
    while len(cases) < n:
        first, last = rng.choice(firsts), rng.choice(lasts)
        middle = rng.choice(["", "", "A.", "Q. Xavier", "Kenneth", "E"])
        title = rng.choice(["", "", "", "Dr.", "Mr.", "Rev."])
        suffix = rng.choice(["", "", "", "Jr.", "III", "PhD"])
        given = " ".join(p for p in (title, first, middle) if p)
        if rng.random() < 0.3:
            text = f"{last}, {given}" + (f", {suffix}" if suffix else "")
        else:
            text = " ".join(p for p in (given, last, suffix) if p)
        cases.setdefault(text, (first, last))
    texts = list(cases)
    clean, ms = run_stage(staged([{"full_name": t} for t in texts]))
    right = sum(
        _norm(f) == _norm(cases[t][0]) and _norm(la) == _norm(cases[t][1])
        for t, f, la in zip(texts, clean["first_name"], clean["last_name"], strict=True)
    )
    return Result(FIELD, "speed", len(texts), right, ms, "distinct synthetic full names, all parsed")


def measure(data: Path) -> list[Result]:
    names = _names(data)
    results = [_speed_slice(names)]  # first: no cache warmed by the other slices
    results += _full_name_slices(names)
    results += _nameparser_reference(names)
    results += [_casing_slice(data), _pass_through_slice(names)]
    return results
