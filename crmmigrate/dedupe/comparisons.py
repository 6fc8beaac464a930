"""Comparisons: per field, which level of agreement two records reach (Splink-style).

A comparison is a short class with named levels, best first; `levels(mf, i, j)` returns one level
index per pair (NULL = -1 when either side is missing), computed on arrays with rapidfuzz's
`cpdist` (pairwise, in C, all cores). Each comparison says whether its evidence is something a
household shares (an address, a phone, a surname, a family mailbox): under a first-name conflict
that evidence stops counting towards identity.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np
import pandas as pd
from rapidfuzz import fuzz
from rapidfuzz.distance import DamerauLevenshtein, JaroWinkler, Prefix
from rapidfuzz.process import cpdist

from .prepare import MatchFrame

NULL = -1
#: Pairs compared at a time, to bound memory at millions of pairs.
CHUNK = 1_000_000


def _pick(mf: MatchFrame, column: str, idx: np.ndarray) -> np.ndarray:
    return mf.array(column)[idx]


def _present(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return ~(pd.isna(a) | pd.isna(b))


def similarity(a: np.ndarray, b: np.ndarray, scorer: Any = JaroWinkler.normalized_similarity) -> np.ndarray:
    """Element-wise similarity of aligned string arrays in [0, 1]; 0 where either is missing."""
    out = np.zeros(len(a), dtype=np.float32)
    ok = _present(a, b)
    if ok.any():
        scores = cpdist(list(a[ok]), list(b[ok]), scorer=scorer, workers=-1)
        out[ok] = scores / (100.0 if scorer in (fuzz.token_set_ratio, fuzz.token_sort_ratio) else 1.0)
    return out


def _equal(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    ok = _present(a, b)
    out = np.zeros(len(a), dtype=bool)
    out[ok] = a[ok] == b[ok]
    return out


def _assign(n: int, present: np.ndarray, conditions: list[np.ndarray]) -> np.ndarray:
    """Level = index of the first true condition; the last level (else) otherwise."""
    levels = np.full(n, len(conditions), dtype=np.int8)
    for index in range(len(conditions) - 1, -1, -1):
        levels[conditions[index]] = index
    levels[~present] = NULL
    return levels


@dataclass(frozen=True)
class Comparison:
    """Base: a named comparison of one or more match-frame columns."""

    name: str
    columns: tuple[str, ...]
    shared_by_households: bool = False
    kind: ClassVar[str] = "base"
    only_against: ClassVar[bool] = False  # agreement weighs nothing, disagreement counts
    tf_levels: ClassVar[tuple[int, ...]] = (0,)  # levels whose weight the value's frequency adjusts
    personal_levels: ClassVar[tuple[int, ...]] = ()  # levels a household does not share
    level_names: ClassVar[tuple[str, ...]] = ("exact", "else")

    @property
    def levels_list(self) -> tuple[str, ...]:
        return self.level_names

    def levels(self, mf: MatchFrame, i: np.ndarray, j: np.ndarray) -> np.ndarray:
        a, b = _pick(mf, self.columns[0], i), _pick(mf, self.columns[0], j)
        return _assign(len(i), _present(a, b), [_equal(a, b)])

    def exact_key(self, mf: MatchFrame) -> np.ndarray | None:
        """The value whose frequency adjusts the exact level (term frequency), if any."""
        return None

    def spec(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "name": self.name,
            "columns": list(self.columns),
            "shared_by_households": self.shared_by_households,
        }


@dataclass(frozen=True)
class ExactComparison(Comparison):
    """Exact or not: countries, categories."""

    kind: ClassVar[str] = "exact"


@dataclass(frozen=True)
class CountryComparison(Comparison):
    """A different country is evidence against; the same one is not evidence for (it is implied by
    the address, the phone's country code and often the name)."""

    shared_by_households: bool = True
    kind: ClassVar[str] = "country"
    only_against: ClassVar[bool] = True


def swapped(mf: MatchFrame, i: np.ndarray, j: np.ndarray) -> np.ndarray:
    """First and last name written the other way round in one of the two records."""
    fa, la = _pick(mf, "first_raw", i), _pick(mf, "last", i)
    fb, lb = _pick(mf, "first_raw", j), _pick(mf, "last", j)
    return (similarity(fa, lb) >= 0.9) & (similarity(la, fb) >= 0.9) & ~_equal(fa, fb)


@dataclass(frozen=True)
class FirstNameComparison(Comparison):
    """Canonical first name (nicknames resolved), Jaro-Winkler, initials, swapped names.

    Its `else` level is a first-name conflict: two different people (a household, twins).
    """

    kind: ClassVar[str] = "first_name"
    tf_levels: ClassVar[tuple[int, ...]] = (0, 1)
    level_names: ClassVar[tuple[str, ...]] = ("exact", "swapped", "jaro_winkler>=0.9", "initial", "else")

    def levels(self, mf: MatchFrame, i: np.ndarray, j: np.ndarray) -> np.ndarray:
        a, b = _pick(mf, "first", i), _pick(mf, "first", j)
        ra, rb = _pick(mf, "first_raw", i), _pick(mf, "first_raw", j)

        def fuzzy(k: np.ndarray) -> np.ndarray:
            close = np.maximum(similarity(a[k], b[k]), similarity(ra[k], rb[k])) >= 0.9
            close |= _one_typo(ra[k], rb[k])
            return close | (similarity(ra[k], rb[k], fuzz.token_set_ratio) >= 0.9)

        return cascade(
            len(i),
            _present(ra, rb),
            [
                lambda k: _equal(a[k], b[k]) | _equal(ra[k], rb[k]),
                lambda k: swapped(mf, i[k], j[k]),
                fuzzy,
                lambda k: _initials(ra[k], rb[k]),
            ],
        )

    def exact_key(self, mf: MatchFrame) -> np.ndarray | None:
        return mf.array("first")


def _lengths(values: np.ndarray) -> np.ndarray:
    return np.fromiter((len(v) for v in values), dtype=np.int64, count=len(values))


def _one_typo(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """One edit apart (short names: Lea/Lsa, Nils/Nuls) with both at least three letters long."""
    out = np.zeros(len(a), dtype=bool)
    ok = _present(a, b)
    if ok.any():
        sa, sb = a[ok], b[ok]
        edits = cpdist(list(sa), list(sb), scorer=DamerauLevenshtein.distance, workers=-1)
        out[ok] = (edits <= 1) & (np.minimum(_lengths(sa), _lengths(sb)) >= 3)
    return out


def _initials(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """One side is an initial or a short form (a prefix of three letters or more) of the other."""
    out = np.zeros(len(a), dtype=bool)
    ok = _present(a, b)
    if ok.any():
        sa, sb = a[ok], b[ok]
        shortest = np.minimum(_lengths(sa), _lengths(sb))
        common = cpdist(list(sa), list(sb), scorer=Prefix.similarity, workers=-1)
        out[ok] = ((shortest <= 2) & (common >= 1)) | ((shortest >= 3) & (common >= shortest))
    return out


def cascade(n: int, present: np.ndarray, steps: list[Callable[[np.ndarray], np.ndarray]]) -> np.ndarray:
    """Levels from conditions tried in order, each only on the pairs no earlier one matched.

    Cheap conditions (equality) come first, so the costly fuzzy ones run on few pairs.
    """
    levels = np.full(n, len(steps), dtype=np.int8)
    todo = np.flatnonzero(present)
    for level, step in enumerate(steps):
        if len(todo) == 0:
            break
        hit = np.asarray(step(todo), dtype=bool)
        levels[todo[hit]] = level
        todo = todo[~hit]
    levels[~present] = NULL
    return levels


@dataclass(frozen=True)
class LastNameComparison(Comparison):
    """Surname: exact (term-frequency adjusted), Jaro-Winkler, double-barrelled, swapped."""

    shared_by_households: bool = True
    kind: ClassVar[str] = "last_name"
    tf_levels: ClassVar[tuple[int, ...]] = (0, 1)  # a swapped name is an exact one written the other way
    level_names: ClassVar[tuple[str, ...]] = (
        "exact",
        "swapped",
        "jaro_winkler>=0.92",
        "jaro_winkler>=0.8 or one part",
        "else",
    )

    def levels(self, mf: MatchFrame, i: np.ndarray, j: np.ndarray) -> np.ndarray:
        a, b = _pick(mf, "last", i), _pick(mf, "last", j)
        return cascade(
            len(i),
            _present(a, b),
            [
                lambda k: _equal(a[k], b[k]),
                lambda k: swapped(mf, i[k], j[k]),
                lambda k: similarity(a[k], b[k]) >= 0.92,
                lambda k: (
                    (similarity(a[k], b[k]) >= 0.8) | (similarity(a[k], b[k], fuzz.token_set_ratio) >= 0.999)
                ),
            ],
        )

    def exact_key(self, mf: MatchFrame) -> np.ndarray | None:
        return mf.array("last")


@dataclass(frozen=True)
class EmailComparison(Comparison):
    """The whole address or nothing: a fuzzy local part would double-count the name."""

    shared_by_households: bool = True
    kind: ClassVar[str] = "email"

    def exact_key(self, mf: MatchFrame) -> np.ndarray | None:
        return mf.array(self.columns[0])


@dataclass(frozen=True)
class PhoneComparison(Comparison):
    """Phone numbers across every phone column (a mobile in one system, the main number in another).

    A shared mobile number is personal evidence; a shared landline is what a household shares.
    """

    shared_by_households: bool = True
    kind: ClassVar[str] = "phone"
    tf_levels: ClassVar[tuple[int, ...]] = (0, 1)
    personal_levels: ClassVar[tuple[int, ...]] = (0,)
    level_names: ClassVar[tuple[str, ...]] = (
        "same mobile number",
        "same number",
        "same number in another phone column",
        "else",
    )

    def levels(self, mf: MatchFrame, i: np.ndarray, j: np.ndarray) -> np.ndarray:
        a, b = _pick(mf, "phone", i), _pick(mf, "phone", j)
        numbers, mobiles = mf.phone_columns(), mf.mobile_columns()
        any_a = np.zeros(len(i), dtype=bool)
        any_b = np.zeros(len(i), dtype=bool)
        same = np.zeros(len(i), dtype=bool)
        same_mobile = np.zeros(len(i), dtype=bool)
        for x in numbers:
            xa, xb = _pick(mf, x, i), _pick(mf, x, j)
            any_a |= ~pd.isna(xa)
            any_b |= ~pd.isna(xb)
            for y in numbers:
                same |= _equal(xa, _pick(mf, y, j))
            for y in mobiles:
                same_mobile |= _equal(xa, _pick(mf, y, j)) | _equal(_pick(mf, y, i), xb)
        exact = _equal(a, b)
        return _assign(len(i), any_a & any_b, [same_mobile, exact, same])

    def exact_key(self, mf: MatchFrame) -> np.ndarray | None:
        return mf.array("phone")


def address_key(mf: MatchFrame) -> np.ndarray:
    street, postal, city = mf.array("street"), mf.array("postal"), mf.array("city")
    place = np.where(pd.isna(postal), city, postal)
    key = pd.Series(street, dtype=object) + "|" + pd.Series(place, dtype=object)
    return key.to_numpy(dtype=object)


@dataclass(frozen=True)
class AddressComparison(Comparison):
    """Street, postal code and city together, since they are not independent evidence."""

    shared_by_households: bool = True
    kind: ClassVar[str] = "address"
    level_names: ClassVar[tuple[str, ...]] = (
        "same street and place",
        "similar street, same place",
        "same postal code",
        "same city",
        "else",
    )

    def levels(self, mf: MatchFrame, i: np.ndarray, j: np.ndarray) -> np.ndarray:
        sa, sb = _pick(mf, "street", i), _pick(mf, "street", j)
        pa, pb = _pick(mf, "postal", i), _pick(mf, "postal", j)
        ca, cb = _pick(mf, "city", i), _pick(mf, "city", j)
        same_postal = _equal(pa, pb)
        same_city = _equal(ca, cb)
        maybe = ~same_city & _present(ca, cb)
        same_city[maybe] = similarity(ca[maybe], cb[maybe]) >= 0.92
        postal_known = _present(pa, pb)
        same_place = same_postal | (~postal_known & same_city)
        street = np.zeros(len(i), dtype=np.float32)
        street[same_place] = similarity(sa[same_place], sb[same_place], fuzz.token_sort_ratio)
        present = _present(sa, sb) | postal_known | _present(ca, cb)
        conditions = [(street >= 0.95) & same_place, (street >= 0.8) & same_place, same_postal, same_city]
        return _assign(len(i), present, conditions)

    def exact_key(self, mf: MatchFrame) -> np.ndarray | None:
        return address_key(mf)


@dataclass(frozen=True)
class FuzzyTextComparison(Comparison):
    """Free text (a second address line, a text custom column): exact, similar, else."""

    kind: ClassVar[str] = "text"
    level_names: ClassVar[tuple[str, ...]] = ("exact", "jaro_winkler>=0.9", "else")

    def levels(self, mf: MatchFrame, i: np.ndarray, j: np.ndarray) -> np.ndarray:
        a, b = _pick(mf, self.columns[0], i), _pick(mf, self.columns[0], j)
        return _assign(len(i), _present(a, b), [_equal(a, b), similarity(a, b) >= 0.9])


@dataclass(frozen=True)
class CompanyComparison(Comparison):
    """Company names compared as token sets (word order and legal forms do not matter)."""

    shared_by_households: bool = True  # colleagues share it
    kind: ClassVar[str] = "company"
    level_names: ClassVar[tuple[str, ...]] = ("exact", "token_set>=0.85", "else")

    def levels(self, mf: MatchFrame, i: np.ndarray, j: np.ndarray) -> np.ndarray:
        a, b = _pick(mf, "company", i), _pick(mf, "company", j)
        return _assign(len(i), _present(a, b), [_equal(a, b), similarity(a, b, fuzz.token_set_ratio) >= 0.85])


@dataclass(frozen=True)
class IdComparison(Comparison):
    """Identifiers (a national id, a loyalty number): exact, one typo, else."""

    kind: ClassVar[str] = "id"
    level_names: ClassVar[tuple[str, ...]] = ("exact", "one edit", "else")

    def levels(self, mf: MatchFrame, i: np.ndarray, j: np.ndarray) -> np.ndarray:
        a, b = _pick(mf, self.columns[0], i), _pick(mf, self.columns[0], j)
        edits = np.full(len(i), 99.0, dtype=np.float32)
        ok = _present(a, b)
        if ok.any():
            edits[ok] = cpdist(list(a[ok]), list(b[ok]), scorer=DamerauLevenshtein.distance, workers=-1)
        return _assign(len(i), ok, [_equal(a, b), edits <= 1])

    def exact_key(self, mf: MatchFrame) -> np.ndarray | None:
        return mf.array(self.columns[0])


@dataclass(frozen=True)
class DateComparison(Comparison):
    """Dates: exact, day and month transposed or one component off, else."""

    kind: ClassVar[str] = "date"
    level_names: ClassVar[tuple[str, ...]] = ("exact", "one component differs or day/month swapped", "else")

    def levels(self, mf: MatchFrame, i: np.ndarray, j: np.ndarray) -> np.ndarray:
        a, b = _pick(mf, self.columns[0], i), _pick(mf, self.columns[0], j)
        ok = _present(a, b)
        near = np.zeros(len(i), dtype=bool)
        if ok.any():
            sa = pd.Series(a[ok], dtype=object).astype(str)
            sb = pd.Series(b[ok], dtype=object).astype(str)
            ya, ma, da = sa.str[:4], sa.str[5:7], sa.str[8:10]
            yb, mb, db = sb.str[:4], sb.str[5:7], sb.str[8:10]
            same = (ya == yb).astype(int) + (ma == mb).astype(int) + (da == db).astype(int)
            transposed = (ya == yb) & (ma == db) & (da == mb)
            near[ok] = ((same == 2) | transposed).to_numpy()
        return _assign(len(i), ok, [_equal(a, b), near])


KINDS: dict[str, type[Comparison]] = {
    cls.kind: cls
    for cls in (
        ExactComparison,
        CountryComparison,
        FirstNameComparison,
        LastNameComparison,
        EmailComparison,
        PhoneComparison,
        AddressComparison,
        FuzzyTextComparison,
        CompanyComparison,
        IdComparison,
        DateComparison,
    )
}


#: Custom column content -> its comparison (timestamps are record metadata: not compared).
CUSTOM_KINDS: dict[str, type[Comparison]] = {
    "id": IdComparison,
    "text": FuzzyTextComparison,
    "category": ExactComparison,
    "date": DateComparison,
}


def from_spec(spec: dict[str, Any]) -> Comparison:
    cls = KINDS[spec["kind"]]
    return cls(
        name=spec["name"],
        columns=tuple(spec["columns"]),
        shared_by_households=bool(spec.get("shared_by_households", False)),
    )


def _filled(mf: MatchFrame, column: str, varied: bool = True) -> bool:
    """The column has values (and, when `varied`, more than one: a constant tells rows apart
    nowhere; but against stored records a few new rows may well all agree)."""
    values = mf.data.get(column)
    return values is not None and values.notna().any() and (not varied or values.nunique() > 1)


#: Canonical field -> the comparison that covers it (several fields can share one).
FIELD_COMPARISONS: dict[str, str] = {
    "first_name": "first_name",
    "full_name": "first_name",
    "last_name": "last_name",
    "email": "email",
    "phone": "phone",
    "address_line1": "address",
    "postal_code": "address",
    "city": "address",
    "address_line2": "address_line2",
    "company": "company",
    "date_of_birth": "date_of_birth",
    "country": "country",
    "region": "region",
}


def default_comparisons(
    mf: MatchFrame, fields: list[str] | None = None, *, varied: bool = True
) -> list[Comparison]:
    """A comparison for every filled field (or for the `fields` asked for), custom ones included;
    with `varied`, only fields with more than one distinct value."""
    options: list[tuple[str, Comparison]] = [
        ("first_raw", FirstNameComparison("first_name", ("first", "first_raw"))),
        ("last", LastNameComparison("last_name", ("last",))),
        ("email", EmailComparison("email", ("email",))),
        ("p9_phone", PhoneComparison("phone", ("phone",))),
        ("street", AddressComparison("address", ("street", "postal", "city"))),
        ("postal", AddressComparison("address", ("street", "postal", "city"))),
        ("city", AddressComparison("address", ("street", "postal", "city"))),
        ("line2", FuzzyTextComparison("address_line2", ("line2",), shared_by_households=True)),
        ("company", CompanyComparison("company", ("company",))),
        ("dob", DateComparison("date_of_birth", ("dob",))),
        ("country", CountryComparison("country", ("country",))),
        ("region", CountryComparison("region", ("region",))),
    ]
    wanted = None if fields is None else {FIELD_COMPARISONS.get(f, f) for f in fields}
    chosen: dict[str, Comparison] = {}
    for column, comparison in options:
        if comparison.name in chosen or not _filled(mf, column, varied):
            continue
        if wanted is None or comparison.name in wanted:
            chosen[comparison.name] = comparison
    if "address" in chosen:
        chosen.pop("region", None)  # implied by the postal code: would count the same evidence twice
    for column, kind in mf.custom.items():
        if (wanted is not None and column not in wanted) or not _filled(mf, f"x_{column}", varied):
            continue
        cls = CUSTOM_KINDS.get(kind)
        if cls is None:
            continue
        chosen[column] = cls(column, (f"x_{column}",))
    return list(chosen.values())


def compare(mf: MatchFrame, comparisons: list[Comparison], i: np.ndarray, j: np.ndarray) -> np.ndarray:
    """The comparison matrix: one row per pair, one int8 level per comparison (NULL = -1)."""
    gamma = np.full((len(i), len(comparisons)), NULL, dtype=np.int8)
    for start in range(0, len(i), CHUNK):
        a, b = i[start : start + CHUNK], j[start : start + CHUNK]
        for column, comparison in enumerate(comparisons):
            gamma[start : start + CHUNK, column] = comparison.levels(mf, a, b)
    return gamma
