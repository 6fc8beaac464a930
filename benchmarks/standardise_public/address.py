"""Addresses: OpenCage's address-formatting test cases through the real standardise stage.

Each case of `addresses_opencage.jsonl` is an address as its country writes it (several lines,
the country on the last) and its components. It is staged three ways, each a slice:

- "one line": the lines (without the country line) joined with ", " in `address_line1`, and the
  case's country code in `country`, the way a CRM export with a country column holds it;
- "as written": the same lines with their line breaks in `address_line1`, `country` given;
- "with country": the whole text, country line included, in `address_line1`, no `country`.

Only `address_line1` (and `country`) is filled, so the stage has to split the address itself.
A case is scored on three parts:

- postcode: the stage's `postal_code` equals the expected one compared without spaces, hyphens
  and case ("30170-011" = "30170011"). Where none is expected, right when ours is empty, or
  when ours is one of the codes the case's components list ("63739,63741,63743": a place with
  several codes, none of them kept as the expected one).
- city: the stage's `city` equals the expected one casefolded, after the stage's own text hygiene
  (the corpus keeps a few bidi marks, U+200E/U+200F, that hygiene removes). The corpus gives a
  city only where the text holds the place the components call city/town/village in a full
  address, and leaves it empty in many cases that plainly name a town ("10178 Berlin" is
  expected as no city): an empty expected city is not scored (any answer counts as right).
- street: where a road is expected, the stage's `address_line1` contains it and the house
  number where one is expected (casefolded), and none of its comma- or line-separated parts is
  the expected city or holds the expected postcode (an address left unparsed keeps the whole
  text in `address_line1` and so is wrong). Where no road is expected, not scored.

"all three" (the headline) is right when all three parts are right. Each slice is reported
overall, for the 20 biggest CRM markets, and for the worst countries (by "all three"). The stage's
time per 1,000 rows is taken after a warm-up run on the same cases in upper case, which loads each
country's tables (postal patterns, region names) once, as a large run does on its first rows.
"""

from __future__ import annotations

import json
import re
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from crmmigrate.cleanse.text import clean_text

from .common import Result, read_jsonl, run_stage, staged

CORPUS = "addresses_opencage.jsonl"
TOP_MARKETS = (
    "US GB DE FR ES IT NL BR MX IN JP CN AU CA PL SE CH AT BE KR".split()  # noqa: SIM905
)
PARTS = ("postcode", "city", "street", "all three")
WORST = 8
_COMPACT = re.compile(r"[\s\-]+")
_LINE_PARTS = re.compile(r"\s*[,\n]\s*")


@dataclass(frozen=True)
class Scored:
    """One case of one slice: what went in, what came out, and which parts were right."""

    id: str
    cc: str
    text: str
    postcode: str | None
    city: str | None
    street: str | None
    right: dict[str, bool]


def slices(rows: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    """Staged field values per slice, one dict per case, in the corpus's order."""
    return {
        "one line": [
            {"address_line1": ", ".join(r["text_without_country"].split("\n")), "country": r["cc"]}
            for r in rows
        ],
        "as written": [{"address_line1": r["text_without_country"], "country": r["cc"]} for r in rows],
        "with country": [{"address_line1": r["expected_text"]} for r in rows],
    }


def score_slice(rows: list[dict[str, Any]], inputs: list[dict[str, Any]]) -> tuple[list[Scored], float]:
    """Every case of one slice through the stage, scored; and the stage's ms per 1,000 rows."""
    clean, ms = run_stage(staged(inputs))
    scored = []
    for i, row in enumerate(rows):
        postcode, city, street = (_text(clean.at[i, c]) for c in ("postal_code", "city", "address_line1"))
        right = {
            "postcode": _postcode_right(row, postcode),
            "city": _city_right(row, city),
            "street": _street_right(row, street),
        }
        right["all three"] = all(right.values())
        scored.append(Scored(row["id"], row["cc"], inputs[i]["address_line1"], postcode, city, street, right))
    return scored, ms


def measure(data: Path) -> list[Result]:
    rows = read_jsonl(data / CORPUS)
    warm_up = [{**r, "address_line1": r["address_line1"].upper()} for r in slices(rows)["as written"]]
    run_stage(staged(warm_up))  # loads every country's tables once: the times are then per value
    results = []
    for name, inputs in slices(rows).items():
        scored, ms = score_slice(rows, inputs)
        results += _report(name, scored, ms)
    return results


def _report(name: str, scored: list[Scored], ms: float) -> list[Result]:
    results = []
    top = [s for s in scored if s.cc in TOP_MARKETS]
    for group, cases in (("", scored), ("top-20 ", top)):
        for part in PARTS:
            right = sum(s.right[part] for s in cases)
            results.append(
                Result(
                    "address",
                    f"{name}: {group}{part}",
                    len(cases),
                    right,
                    ms if not group and part == PARTS[0] else None,
                )
            )
    by_country: dict[str, list[Scored]] = defaultdict(list)
    for s in scored:
        by_country[s.cc].append(s)
    ranked = sorted(
        by_country.items(),
        key=lambda kv: (sum(s.right["all three"] for s in kv[1]) / len(kv[1]), -len(kv[1]), kv[0]),
    )
    for cc, cases in ranked[:WORST]:
        right = sum(s.right["all three"] for s in cases)
        if right == len(cases):
            break
        wrong = [p for p in PARTS[:3] if not all(s.right[p] for s in cases)]
        results.append(
            Result("address", f"{name}: worst {cc}", len(cases), right, note="wrong: " + ", ".join(wrong))
        )
    return results


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value.strip() else None


def _compact(text: str) -> str:
    return _COMPACT.sub("", text).casefold()


def _postcode_right(row: dict[str, Any], ours: str | None) -> bool:
    expected = row["postcode"]
    if expected:
        return ours is not None and _compact(ours) == _compact(expected)
    if ours is None:
        return True
    listed = json.loads(row["components"]).get("postcode") or ""
    return _compact(ours) in {_compact(code) for code in re.split(r"[,;]", listed) if code.strip()}


def _city_right(row: dict[str, Any], ours: str | None) -> bool:
    expected = row["city"]
    if not expected:
        return True
    return ours is not None and ours.casefold() == (clean_text(expected) or "").casefold()


def _street_right(row: dict[str, Any], ours: str | None) -> bool:
    road, number = row["road"], row["house_number"]
    if not road:
        return True
    if ours is None:
        return False
    folded = ours.casefold()
    if road.casefold() not in folded or (number and number.casefold() not in folded):
        return False
    city = (row["city"] or "").casefold()
    postcode = _written(row["postcode"]) if row["postcode"] else None
    for part in _LINE_PARTS.split(folded):
        if (city and part == city) or (postcode and postcode.search(part)):
            return False
    return True


def _written(postcode: str) -> re.Pattern[str]:
    """The postcode in text, with or without its spaces and hyphens."""
    chars = [re.escape(c) for c in _compact(postcode)]
    return re.compile(r"(?<!\w)" + r"[\s\-]?".join(chars) + r"(?!\w)", re.IGNORECASE)
