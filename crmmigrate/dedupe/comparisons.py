"""Comparisons: per field, which level of agreement two records reach (Splink-style).

A comparison is a short class holding a list of levels, best first, each a named test with its
parameter (`jaro_winkler` at 0.92, `within_days` at 366). `gamma(mf, i, j)` returns one level
index per pair: the first level whose test the pair passes, `len(levels)` (else) when none does,
and NULL (-1) when either side lacks the value, so that a missing value is no evidence at all.
Tests run as a cascade, cheap ones first, each only on the pairs no earlier level took, on arrays
with rapidfuzz's `cpdist` (pairwise, in C).

The levels, thresholds included, are written into `match_model.json` (`spec`), and `from_spec`
rebuilds exactly those levels, so a saved model means the same thing after an upgrade.

Each comparison says whether its evidence is something a household shares (an address, a phone,
a surname, a family mailbox): under a first-name conflict that evidence stops counting towards
identity.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, ClassVar

import jellyfish
import numpy as np
import pandas as pd
from rapidfuzz import fuzz
from rapidfuzz.distance import DamerauLevenshtein, JaroWinkler, Prefix
from rapidfuzz.process import cpdist

from ..errors import ConfigError
from .names import known_name, name_groups, share_a_group
from .prepare import MatchFrame

NULL = -1
#: Pairs compared at a time, to bound memory at millions of pairs.
CHUNK = 500_000
#: Threads rapidfuzz uses per comparison (-1: every core). An engine that runs several tasks per
#: machine (Spark) sets 1.
WORKERS = -1

Test = Callable[["Pairs", np.ndarray, Any], np.ndarray]


# -- pairs and string helpers ---------------------------------------------------------------------


class Pairs:
    """The pairs (i, j) being compared, with each match-frame column picked for both sides once."""

    def __init__(self, mf: MatchFrame, i: np.ndarray, j: np.ndarray) -> None:
        self.mf, self.i, self.j = mf, i, j
        self._sides: dict[str, tuple[np.ndarray, np.ndarray]] = {}
        self._memo: dict[str, Any] = {}

    def memo(self, name: str, compute: Callable[[], Any]) -> Any:
        """A result over all the pairs, computed once however many levels need it."""
        if name not in self._memo:
            self._memo[name] = compute()
        return self._memo[name]

    def __len__(self) -> int:
        return len(self.i)

    def sides(self, column: str) -> tuple[np.ndarray, np.ndarray]:
        if column not in self._sides:
            values = self.mf.array(column)
            self._sides[column] = values[self.i], values[self.j]
        return self._sides[column]

    def codes(self, column: str, k: np.ndarray, derived: str = "") -> tuple[np.ndarray, np.ndarray]:
        """Integer codes of both sides (-1 where missing): equal codes, equal values."""
        if derived:
            self.at(column, k[:0], derived)  # make sure the derived form exists
        codes = self.mf.codes(column, derived)
        return codes[self.i[k]], codes[self.j[k]]

    def known(self, column: str) -> np.ndarray:
        """Both sides have a value, for every pair."""
        codes = self.mf.codes(column)
        return (codes[self.i] >= 0) & (codes[self.j] >= 0)

    def same(self, column: str, k: np.ndarray, derived: str = "") -> np.ndarray:
        """Both sides have the value and it is the same."""
        a, b = self.codes(column, k, derived)
        return (a == b) & (a >= 0)

    def at(self, column: str, k: np.ndarray, derived: str = "") -> tuple[np.ndarray, np.ndarray]:
        """Both sides of the pairs `k` for `column`, or for one of its `DERIVED` forms."""
        if not derived:
            a, b = self.sides(column)
            return a[k], b[k]
        func, fill, dtype = DERIVED[derived]
        values = self.mf.derived(column, derived, func, fill=fill, dtype=dtype)
        return values[self.i[k]], values[self.j[k]]


def present(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Both values there (match-frame values are None where missing)."""
    return np.not_equal(a, None) & np.not_equal(b, None)


def equal(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return np.equal(a, b).astype(bool) & np.not_equal(a, None)


def similarity(a: np.ndarray, b: np.ndarray, scorer: Any = JaroWinkler.normalized_similarity) -> np.ndarray:
    """Element-wise similarity of aligned string arrays in [0, 1]; 0 where either is missing."""
    out = np.zeros(len(a), dtype=np.float32)
    ok = present(a, b)
    if ok.any():
        scores = cpdist(list(a[ok]), list(b[ok]), scorer=scorer, workers=WORKERS)
        out[ok] = scores / (
            100.0 if scorer in (fuzz.token_set_ratio, fuzz.token_sort_ratio, fuzz.ratio) else 1.0
        )
    return out


def distance(
    a: np.ndarray, b: np.ndarray, scorer: Any = DamerauLevenshtein.distance, cutoff: int | None = None
) -> np.ndarray:
    """Element-wise edit distance; a large number where either is missing. With `cutoff`, any
    distance above it comes out as cutoff + 1 (faster: the scorer stops early)."""
    out = np.full(len(a), 1 << 20, dtype=np.int64)
    ok = present(a, b)
    if ok.any():
        out[ok] = cpdist(list(a[ok]), list(b[ok]), scorer=scorer, workers=WORKERS, score_cutoff=cutoff)
    return out


@functools.lru_cache(maxsize=1 << 17)
def _sound(text: str) -> str:
    return jellyfish.metaphone(text.replace(" ", "").replace("-", "")) or text


def _date_digits(value: str) -> str:
    return value.replace("-", "")


def _year_day_month(value: str) -> str:
    """A date's digits with day and month swapped: equal to another's digits when they swapped."""
    return value[:4] + value[8:10] + value[5:7]


def _day_number(value: str) -> float:
    """Days since 1970 of an ISO date (approximate months for a typo'd date such as 1775-09-31)."""
    try:
        year, month, day = int(value[:4]), int(value[5:7]), int(value[8:10])
    except ValueError:
        return np.nan
    if not (1 <= month <= 12 and 1 <= day <= 31):
        return np.nan
    return (year - 1970) * 365.2425 + (month - 1) * 30.44 + day


def _house_numbers(street: str) -> str:
    """The numbers of a street line, in order of size ("12 main st apt 4" -> "4 12")."""
    return " ".join(sorted(set(re.findall(r"\d+", street)), key=lambda n: (len(n), n)))


def _numbers_agree(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Per pair of house-number strings: compatible when either has none, or one's numbers are
    all among the other's (a flat number added to the same house)."""
    out = np.ones(len(a), dtype=bool)
    differ = np.flatnonzero(np.not_equal(a, None) & np.not_equal(b, None) & np.not_equal(a, b))
    # One number each, not the same one: they disagree. (No number at all is an empty string.)
    single = np.array(
        [bool(a[k]) and bool(b[k]) and " " not in a[k] + b[k] for k in differ.tolist()], dtype=bool
    )
    out[differ[single]] = False
    for k in differ[~single].tolist():
        x, y = set(a[k].split()), set(b[k].split())
        out[k] = not x or not y or x <= y or y <= x
    return out


def _acronym(words: str) -> str:
    return "".join(w[0] for w in words.split() if w)


#: Forms of a value that comparisons need, computed once per distinct value (name: function,
#: value where missing, dtype).
DERIVED: dict[str, tuple[Callable[[str], Any], Any, Any]] = {
    "length": (len, 0, np.int64),
    "sound": (_sound, None, object),
    "squashed": (lambda v: re.sub(r"[\s'-]", "", v), None, object),  # "de teliga" = "deteliga"
    "words": (lambda v: " " in v, False, bool),
    "mailbox": (lambda v: v.split("@", 1)[0] if "@" in v else None, None, object),
    "domain": (lambda v: v.split("@", 1)[1] if "@" in v else None, None, object),
    "digits": (_date_digits, None, object),
    "ydm": (_year_day_month, None, object),
    "days": (_day_number, np.nan, float),
    "first of january": (lambda v: v[4:] == "-01-01", False, bool),
    "acronym": (_acronym, None, object),
    "numbers": (_house_numbers, None, object),
    "sorted words": (lambda v: " ".join(sorted(v.split())), None, object),
    "compact": (lambda v: v.replace(".", "").replace(" ", ""), None, object),
    "postal area": (lambda v: v[:-2] if len(v) >= 5 else None, None, object),
}


def per_distinct_pair(a: np.ndarray, b: np.ndarray, test: Callable[[np.ndarray], np.ndarray]) -> np.ndarray:
    """`test` of the pairs whose value codes are `a` and `b`, run on one pair (positions given to
    it) of each distinct pair of values and spread to the others: a test in Python once per pair
    of names, not once per pair of rows (at a million rows, "anna" and "anne" meet thousands of
    times)."""
    if len(a) == 0:
        return np.zeros(0, dtype=bool)
    key = (a.astype(np.int64) << 32) | (b.astype(np.int64) & 0xFFFFFFFF)
    _, first, inverse = np.unique(key, return_index=True, return_inverse=True)
    return np.asarray(test(first), dtype=bool)[inverse.reshape(-1)]


def _shares_a_part(a: np.ndarray, b: np.ndarray, several: np.ndarray) -> np.ndarray:
    """The names share a whole word ("garcia" in "garcia lopez"); `several`: either has words."""
    out = np.zeros(len(a), dtype=bool)
    for k in np.flatnonzero(several & present(a, b)):
        out[k] = bool(set(a[k].split()) & set(b[k].split()))
    return out


def initials(a: np.ndarray, b: np.ndarray, shortest: np.ndarray) -> np.ndarray:
    """One side is an initial or a short form (a prefix of three letters or more) of the other;
    `shortest`: the shorter of the two lengths."""
    out = np.zeros(len(a), dtype=bool)
    ok = present(a, b)
    if ok.any():
        common = cpdist(list(a[ok]), list(b[ok]), scorer=Prefix.similarity, workers=WORKERS)
        short = shortest[ok]
        out[ok] = ((short <= 2) & (common >= 1)) | ((short >= 3) & (common >= short))
    return out


def _shortest(p: Pairs, column: str, k: np.ndarray) -> np.ndarray:
    return np.minimum(*p.at(column, k, "length"))


# -- levels and comparisons -----------------------------------------------------------------------


@dataclass(frozen=True)
class Level:
    """One level of a comparison: a named test and its parameter (a threshold, days, edits)."""

    test: str
    threshold: float | None = None

    @property
    def label(self) -> str:
        if self.threshold is None:
            return self.test
        value = f"{self.threshold:g}"
        return f"{self.test}<={value}" if self.test in DISTANCE_TESTS else f"{self.test}>={value}"

    def spec(self) -> dict[str, Any]:
        return (
            {"test": self.test}
            if self.threshold is None
            else {"test": self.test, "threshold": self.threshold}
        )

    @classmethod
    def from_spec(cls, spec: dict[str, Any] | str) -> Level:
        if isinstance(spec, str):
            return cls(spec)
        threshold = spec.get("threshold")
        return cls(str(spec["test"]), None if threshold is None else float(threshold))


#: Tests whose parameter is an upper bound (edits, days) rather than a lower one (similarity).
DISTANCE_TESTS = {"typo", "within_days", "one_digit_off", "edits"}


@dataclass(frozen=True)
class Comparison:
    """Base: a named comparison of one or more match-frame columns, with its levels best first."""

    name: str
    columns: tuple[str, ...]
    levels: tuple[Level, ...] = ()
    kind: ClassVar[str] = "base"
    DEFAULT_LEVELS: ClassVar[tuple[Level, ...]] = (Level("exact"),)
    shared_by_households: ClassVar[bool] = False
    only_against: ClassVar[bool] = False  # agreement weighs nothing, disagreement counts
    TF_TESTS: ClassVar[tuple[str, ...]] = ("exact",)  # levels whose weight the value's frequency adjusts
    PERSONAL_TESTS: ClassVar[tuple[str, ...]] = ()  # levels a household does not share

    def __post_init__(self) -> None:
        if not self.levels:
            object.__setattr__(self, "levels", self.DEFAULT_LEVELS)
        unknown = [lv.test for lv in self.levels if not hasattr(self, f"test_{lv.test}")]
        if unknown:
            raise ConfigError(
                f"comparison {self.name!r} ({self.kind}) has no level {', '.join(map(repr, unknown))}",
                hint=f"its levels are: {', '.join(self.tests())}",
            )

    @classmethod
    def tests(cls) -> list[str]:
        return sorted(name[5:] for name in dir(cls) if name.startswith("test_"))

    @property
    def levels_list(self) -> tuple[str, ...]:
        return (*(lv.label for lv in self.levels), "else")

    @property
    def tf_levels(self) -> tuple[int, ...]:
        return tuple(k for k, lv in enumerate(self.levels) if lv.test in self.TF_TESTS)

    @property
    def conflict_levels(self) -> tuple[int, ...]:
        """Levels (else included) at which the names say two different people."""
        tests = getattr(self, "CONFLICT_TESTS", ())
        return (*(k for k, lv in enumerate(self.levels) if lv.test in tests), len(self.levels))

    @property
    def personal_levels(self) -> tuple[int, ...]:
        return tuple(k for k, lv in enumerate(self.levels) if lv.test in self.PERSONAL_TESTS)

    def present(self, p: Pairs) -> np.ndarray:
        return p.known(self.columns[0])

    #: Test -> the match-frame columns it reads, where a level reads only some of the comparison's.
    LEVEL_COLUMNS: ClassVar[dict[str, tuple[str, ...]]] = {}

    def possible(self, mf: MatchFrame) -> np.ndarray:
        """Per level (else last): whether any pair of these rows could reach it. A level needing a
        column no row fills (the street of a list that has only cities) cannot."""
        needs = [self.LEVEL_COLUMNS.get(lv.test, ()) for lv in self.levels]
        filled = {c: bool(pd.notna(mf.array(c)).any()) for c in set().union(*needs)}
        return np.array([*(all(filled[c] for c in need) for need in needs), True])

    def gamma(self, mf: MatchFrame, i: np.ndarray, j: np.ndarray) -> np.ndarray:
        """Level per pair: tried best first, each test only on the pairs no earlier level took."""
        p = Pairs(mf, i, j)
        n_levels = len(self.levels)
        levels = np.full(len(i), n_levels, dtype=np.int8)
        known = self.present(p)
        todo = np.flatnonzero(known)
        for index, level in enumerate(self.levels):
            if len(todo) == 0:
                break
            hit = np.asarray(getattr(self, f"test_{level.test}")(p, todo, level.threshold), dtype=bool)
            levels[todo[hit]] = index
            todo = todo[~hit]
        levels[~known] = NULL
        return levels

    def test_exact(self, p: Pairs, k: np.ndarray, _: Any) -> np.ndarray:
        return p.same(self.columns[0], k)

    def exact_key(self, mf: MatchFrame) -> np.ndarray | None:
        """The value whose frequency adjusts the exact level (term frequency), if any."""
        return None

    def spec(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "name": self.name,
            "columns": list(self.columns),
            "levels": [lv.spec() for lv in self.levels],
        }


@dataclass(frozen=True)
class ExactComparison(Comparison):
    """Exact or not: categories (a gender, a customer segment) when asked for."""

    kind: ClassVar[str] = "exact"


@dataclass(frozen=True)
class CountryComparison(Comparison):
    """A different country is evidence against; the same one is not evidence for (it is implied by
    the address, the phone's country code and often the name)."""

    kind: ClassVar[str] = "country"
    shared_by_households: ClassVar[bool] = True
    only_against: ClassVar[bool] = True


#: Endings that turn a name into its female form: Stefan/Stefanie, Louis/Louise, Bernard/Bernadette.
_GENDER_ENDINGS = ("ie", "ine", "ina", "ette", "elle", "ia")
#: One-letter endings that do the same (Paul/Paula, Jan/Jana), but are also the commonest typo
#: (Mari/Maria, Annaa/Anna): a female form only when both names are known names.
_SHORT_ENDINGS = ("a", "e")
#: Final vowels that swap between the two forms: Mario/Maria, Francesco/Francesca, Giovanni/Giovanna.
_GENDER_VOWELS = {frozenset("oa"), frozenset("ia")}  # not e/a: Marie and Maria, Anne and Anna


def _gendered(x: str, y: str) -> bool:
    short, long = sorted((x, y), key=len)
    if len(short) < 3:
        return False
    if long.startswith(short):
        ending = long[len(short) :]
        if ending in _GENDER_ENDINGS:
            return True
        return ending in _SHORT_ENDINGS and known_name(short) and known_name(long)
    return len(x) == len(y) >= 4 and x[:-1] == y[:-1] and frozenset((x[-1], y[-1])) in _GENDER_VOWELS


def gendered_forms(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Per pair: the two first names are a female and a male form of one name."""
    return np.array(
        [isinstance(x, str) and isinstance(y, str) and _gendered(x, y) for x, y in zip(a, b, strict=True)],
        dtype=bool,
    )


def swapped(p: Pairs, k: np.ndarray, threshold: float) -> np.ndarray:
    """First and last name written the other way round in one of the two records: each record's
    first name is the other's surname (or one crossing agrees exactly and the other is missing: a
    surname typed into the first-name field of a record without a surname)."""
    codes = p.mf.joint_codes(["first_raw", "last"])
    i, j = p.i[k], p.j[k]
    fa, fb, la, lb = codes["first_raw"][i], codes["first_raw"][j], codes["last"][i], codes["last"][j]
    exact_one, exact_two = (fa == lb) & (fa >= 0), (la == fb) & (la >= 0)
    crossed = (exact_one & ((la < 0) | (fb < 0))) | (exact_two & ((fa < 0) | (lb < 0)))
    # Both crossings close: only worth the string work where each crossing is at least present.
    both = np.flatnonzero((fa >= 0) & (lb >= 0) & (la >= 0) & (fb >= 0) & (fa != fb))
    if len(both):
        first_a, last_b = p.at("first_raw", k[both])[0], p.at("last", k[both])[1]
        both = both[similarity(first_a, last_b) >= threshold]  # the other crossing only where this one holds
        last_a, first_b = p.at("last", k[both])[0], p.at("first_raw", k[both])[1]
        crossed[both[similarity(last_a, first_b) >= threshold]] = True
    return crossed & ~((fa == fb) & (fa >= 0))


def lone_surname(p: Pairs) -> np.ndarray:
    """Per pair: one record gives a single name, in the first-name field, and it is the other's
    surname (Chapman / John Chapman): a surname agreement, counted once, by the surname."""

    def compute() -> np.ndarray:
        codes = p.mf.joint_codes(["first_raw", "last"])
        fa, fb = codes["first_raw"][p.i], codes["first_raw"][p.j]
        la, lb = codes["last"][p.i], codes["last"][p.j]
        one = (la < 0) & (fa >= 0) & (fa == lb) & (fb != fa)
        other = (lb < 0) & (fb >= 0) & (fb == la) & (fa != fb)
        return one | other

    return p.memo("lone surname", compute)


@dataclass(frozen=True)
class FirstNameComparison(Comparison):
    """First names: exact (nicknames resolved), swapped with the surname, a known nickname, a typo,
    the same sound (transliterations), an initial or short form, similar. `similar` and `else` are
    a first-name conflict: two different people (a household, twins), whatever else they share."""

    kind: ClassVar[str] = "first_name"
    DEFAULT_LEVELS: ClassVar[tuple[Level, ...]] = (
        Level("exact"),
        Level("swapped", 0.9),
        Level("nickname"),
        Level("jaro_winkler", 0.9),
        Level("sound"),
        Level("initial"),
        Level("middle"),
        Level("similar", 0.75),
    )
    #: (a swapped name is not frequency-adjusted: its value's frequency is that of the other field)
    #: Levels at which the two names are different people's (the household guard's conflict).
    CONFLICT_TESTS: ClassVar[tuple[str, ...]] = ("similar",)
    #: Levels that a female and a male form of one name (Paul/Paula) must not reach.
    FUZZY_TESTS: ClassVar[tuple[str, ...]] = ("jaro_winkler", "sound", "initial", "similar")

    def gamma(self, mf: MatchFrame, i: np.ndarray, j: np.ndarray) -> np.ndarray:
        """As for every comparison, except that a pair of gendered forms of one name (Stefan and
        Stefanie, Mario and Maria) is a conflict, however alike the letters: in a family they
        are two people."""
        levels = super().gamma(mf, i, j)
        fuzzy = np.flatnonzero(
            np.isin(levels, [k for k, lv in enumerate(self.levels) if lv.test in self.FUZZY_TESTS])
        )
        if len(fuzzy):
            first, codes = mf.array("first_raw"), mf.codes("first_raw")
            a, b = i[fuzzy], j[fuzzy]
            variant = per_distinct_pair(
                codes[a], codes[b], lambda d: gendered_forms(first[a[d]], first[b[d]])
            )
            levels[fuzzy[variant]] = len(self.levels)
        return levels

    def present(self, p: Pairs) -> np.ndarray:
        """Both have a first name, or one has none but its surname is the other's first name. A
        record whose one name is the other's surname has no first name to compare (see
        `lone_surname`)."""
        codes = p.mf.joint_codes(["first_raw", "last"])
        fa, fb = codes["first_raw"][p.i], codes["first_raw"][p.j]
        la, lb = codes["last"][p.i], codes["last"][p.j]
        crossed = ((fa < 0) & (la >= 0) & (la == fb)) | ((fb < 0) & (fa >= 0) & (fa == lb))
        return ((fa >= 0) & (fb >= 0) | crossed) & ~lone_surname(p)

    def test_similar(self, p: Pairs, k: np.ndarray, threshold: float) -> np.ndarray:
        return similarity(*p.at("first_raw", k)) >= threshold

    def test_exact(self, p: Pairs, k: np.ndarray, _: Any) -> np.ndarray:
        return p.same("first", k) | p.same("first_raw", k)

    def test_swapped(self, p: Pairs, k: np.ndarray, threshold: float) -> np.ndarray:
        return swapped(p, k, threshold)

    def test_nickname(self, p: Pairs, k: np.ndarray, _: Any) -> np.ndarray:
        """A known nickname or another language's form of the name, as written or of the name it
        stands for (Jack is John, and Sean is John: Jack and Sean are one name)."""
        related = self._related(p, k, "first_raw")
        read = np.flatnonzero(~related & self._read_otherwise(p, k))
        related[read] = self._related(p, k[read], "first")
        return related

    @staticmethod
    def _related(p: Pairs, k: np.ndarray, column: str) -> np.ndarray:
        """`share_a_group` of the names, looked at only where both names are known ones."""
        table, rows = p.mf.derived_table(column, "name groups", name_groups)
        i, j = rows[p.i[k]], rows[p.j[k]]
        both = np.flatnonzero((table[i, 0] >= 0) & (table[j, 0] >= 0))
        out = np.zeros(len(k), dtype=bool)
        out[both] = share_a_group(table[i[both]], table[j[both]])
        return out

    @staticmethod
    def _read_otherwise(p: Pairs, k: np.ndarray) -> np.ndarray:
        """Pairs where either name stands for another (a nickname: Fred for Frederick)."""
        codes = p.mf.joint_codes(["first_raw", "first"])
        raw, canonical = codes["first_raw"], codes["first"]
        i, j = p.i[k], p.j[k]
        return (raw[i] != canonical[i]) | (raw[j] != canonical[j])

    def test_jaro_winkler(self, p: Pairs, k: np.ndarray, threshold: float) -> np.ndarray:
        """A typo: alike (Jaro-Winkler) and at most two edits apart, or one edit in a name of
        three letters or more. (Jaro-Winkler alone rates a shared beginning so highly that
        Frank and Franziska would pass.)"""
        close = self._typo(p, k, "first_raw", threshold)
        read = np.flatnonzero(~close & self._read_otherwise(p, k))  # Fred / Frederik: a typo of Frederick
        close[read] = self._typo(p, k[read], "first", threshold)
        return close

    @staticmethod
    def _typo(p: Pairs, k: np.ndarray, column: str, threshold: float) -> np.ndarray:
        a, b = p.at(column, k)
        edits = distance(a, b, cutoff=2)
        close = (edits <= 1) & (_shortest(p, column, k) >= 3)
        two = np.flatnonzero((edits <= 2) & ~close)  # alike enough only where at most two edits apart
        close[two] = similarity(a[two], b[two]) >= threshold
        several = np.logical_or(*p.at(column, k, "words"))
        close[several] |= similarity(a[several], b[several], fuzz.token_set_ratio) >= 0.999  # Anna Maria/Anna
        return close

    def test_sound(self, p: Pairs, k: np.ndarray, _: Any) -> np.ndarray:
        return p.same("first_raw", k, "sound")

    def test_initial(self, p: Pairs, k: np.ndarray, _: Any) -> np.ndarray:
        return initials(*p.at("first_raw", k), _shortest(p, "first_raw", k))

    def test_middle(self, p: Pairs, k: np.ndarray, _: Any) -> np.ndarray:
        """One goes by a middle name of the other: William Hoare and Henry William Hoare."""
        out = np.zeros(len(k), dtype=bool)
        middle_a, middle_b = p.at("middle", k)
        some = np.flatnonzero(np.not_equal(middle_a, None) | np.not_equal(middle_b, None))
        if len(some) == 0:
            return out
        (raw_a, raw_b), (first_a, first_b) = (p.at(column, k[some]) for column in ("first_raw", "first"))
        for n, s in enumerate(some.tolist()):
            in_a = set(middle_a[s].split()) if isinstance(middle_a[s], str) else set()
            in_b = set(middle_b[s].split()) if isinstance(middle_b[s], str) else set()
            out[s] = bool(in_a & {raw_b[n], first_b[n]} or in_b & {raw_a[n], first_a[n]})
        return out

    def exact_key(self, mf: MatchFrame) -> np.ndarray | None:
        return mf.array("first")


@dataclass(frozen=True)
class LastNameComparison(Comparison):
    """Surnames: exact (term-frequency adjusted), swapped with the first name, a typo, one part of
    a compound or double-barrelled name, the same sound (transliterations), similar."""

    kind: ClassVar[str] = "last_name"
    shared_by_households: ClassVar[bool] = True
    DEFAULT_LEVELS: ClassVar[tuple[Level, ...]] = (
        Level("exact"),
        Level("swapped", 0.9),
        Level("jaro_winkler", 0.92),
        Level("part"),
        Level("sound"),
        Level("similar", 0.8),
    )

    def present(self, p: Pairs) -> np.ndarray:
        """Both have a surname, or one gives a single name that is the other's surname."""
        return p.known("last") | lone_surname(p)

    def test_exact(self, p: Pairs, k: np.ndarray, _: Any) -> np.ndarray:
        return p.same("last", k) | p.same("last", k, "squashed")

    def test_swapped(self, p: Pairs, k: np.ndarray, threshold: float) -> np.ndarray:
        return swapped(p, k, threshold)

    def test_jaro_winkler(self, p: Pairs, k: np.ndarray, threshold: float) -> np.ndarray:
        a, b = p.at("last", k)
        return (similarity(a, b) >= threshold) | ((distance(a, b) <= 1) & (_shortest(p, "last", k) >= 4))

    def test_part(self, p: Pairs, k: np.ndarray, _: Any) -> np.ndarray:
        a, b = p.at("last", k)
        several = np.logical_or(*p.at("last", k, "words"))
        return per_distinct_pair(*p.codes("last", k), lambda d: _shares_a_part(a[d], b[d], several[d]))

    def test_sound(self, p: Pairs, k: np.ndarray, _: Any) -> np.ndarray:
        return p.same("last", k, "sound")

    def test_similar(self, p: Pairs, k: np.ndarray, threshold: float) -> np.ndarray:
        return similarity(*p.at("last", k)) >= threshold

    def exact_key(self, mf: MatchFrame) -> np.ndarray | None:
        return mf.array("last")


@dataclass(frozen=True)
class EmailComparison(Comparison):
    """Email: the same address, first when its mailbox name holds the person's first name (a
    personal address rather than a family's); a typo (the same mailbox at a misspelt domain). Two
    addresses that merely look alike are no evidence: firstname.lastname@ at two providers is what
    two namesakes have, and the names already count."""

    kind: ClassVar[str] = "email"
    shared_by_households: ClassVar[bool] = True
    DEFAULT_LEVELS: ClassVar[tuple[Level, ...]] = (Level("exact_named"), Level("exact"), Level("typo", 2))
    TF_TESTS: ClassVar[tuple[str, ...]] = ("exact_named", "exact")
    PERSONAL_TESTS: ClassVar[tuple[str, ...]] = ("exact_named",)

    def test_exact_named(self, p: Pairs, k: np.ndarray, _: Any) -> np.ndarray:
        """The same address, and its mailbox name holds the first name of one of the two records
        (anna.weber@…): a personal address, not a family's (familie.weber@…)."""
        a, b = p.at(self.columns[0], k)
        same = equal(a, b)
        out = np.zeros(len(k), dtype=bool)
        firsts = [p.at(c, k) for c in ("first_raw", "first")]
        for n in np.flatnonzero(same):
            box = a[n].split("@", 1)[0]
            names = {
                v for pair in firsts for v in (pair[0][n], pair[1][n]) if isinstance(v, str) and len(v) >= 3
            }
            out[n] = any(name.replace(" ", "") in box for name in names)
        return out

    def test_typo(self, p: Pairs, k: np.ndarray, edits: float) -> np.ndarray:
        """The same mailbox name at a domain a few keystrokes off (gmial.com). A mailbox a
        keystroke off is not: anna.weber85 and anna.weber35 are two namesakes' addresses."""
        column = self.columns[0]
        domain_a, domain_b = p.at(column, k, "domain")
        same_box = p.same(column, k, "mailbox")
        typo = np.zeros(len(k), dtype=bool)
        typo[same_box] = distance(domain_a[same_box], domain_b[same_box]) <= edits
        return typo

    def exact_key(self, mf: MatchFrame) -> np.ndarray | None:
        return mf.array(self.columns[0])


@dataclass(frozen=True)
class PhoneComparison(Comparison):
    """Phone numbers across every phone column (a mobile in one system, the main number in another),
    compared on their last nine digits; a number written without its area code agrees on its
    trailing digits; one digit off is a typo. A shared mobile is personal evidence, a shared
    landline what a household shares."""

    kind: ClassVar[str] = "phone"
    shared_by_households: ClassVar[bool] = True
    DEFAULT_LEVELS: ClassVar[tuple[Level, ...]] = (
        Level("same_mobile"),
        Level("exact"),
        Level("any_column"),
        Level("trailing_digits", 6),
        Level("one_digit_off"),
    )
    TF_TESTS: ClassVar[tuple[str, ...]] = ("same_mobile", "exact")
    PERSONAL_TESTS: ClassVar[tuple[str, ...]] = ("same_mobile",)

    def present(self, p: Pairs) -> np.ndarray:
        any_a = np.zeros(len(p), dtype=bool)
        any_b = np.zeros(len(p), dtype=bool)
        for codes in self._phone_codes(p).values():
            any_a |= codes[p.i] >= 0
            any_b |= codes[p.j] >= 0
        return any_a & any_b

    def _phone_codes(self, p: Pairs) -> dict[str, np.ndarray]:
        return p.mf.joint_codes([*p.mf.phone_columns(), *p.mf.mobile_columns()])

    def _crossed(self, p: Pairs, k: np.ndarray, left: list[str], right: list[str]) -> np.ndarray:
        """Some number of `left` columns on one side is some number of `right` columns on the other."""
        codes = self._phone_codes(p)
        i, j = p.i[k], p.j[k]
        out = np.zeros(len(k), dtype=bool)
        for x in left:
            for y in right:
                for a, b in ((codes[x][i], codes[y][j]), (codes[y][i], codes[x][j])):
                    out |= (a == b) & (a >= 0)
        return out

    def test_same_mobile(self, p: Pairs, k: np.ndarray, _: Any) -> np.ndarray:
        return self._crossed(p, k, p.mf.phone_columns(), p.mf.mobile_columns())

    def test_exact(self, p: Pairs, k: np.ndarray, _: Any) -> np.ndarray:
        return p.same("p9_phone", k)

    def test_any_column(self, p: Pairs, k: np.ndarray, _: Any) -> np.ndarray:
        return self._crossed(p, k, p.mf.phone_columns(), p.mf.phone_columns())

    def test_trailing_digits(self, p: Pairs, k: np.ndarray, digits: float) -> np.ndarray:
        a, b = p.at("p9_phone", k)
        length_a, length_b = p.at("p9_phone", k, "length")
        ok = present(a, b) & (np.minimum(length_a, length_b) >= int(digits)) & (length_a != length_b)
        out = np.zeros(len(k), dtype=bool)
        out[ok] = [x.endswith(y) or y.endswith(x) for x, y in zip(a[ok], b[ok], strict=True)]
        return out

    def test_one_digit_off(self, p: Pairs, k: np.ndarray, _: Any) -> np.ndarray:
        long = np.flatnonzero(_shortest(p, "p9_phone", k) >= 7)
        out = np.zeros(len(k), dtype=bool)
        out[long] = distance(*p.at("p9_phone", k[long]), cutoff=1) <= 1
        return out

    def exact_key(self, mf: MatchFrame) -> np.ndarray | None:
        return mf.array("p9_phone")


def address_key(mf: MatchFrame) -> np.ndarray:
    street, postal, city = mf.array("street"), mf.array("postal"), mf.array("city")
    place = np.where(pd.isna(postal), city, postal)
    key = pd.Series(street, dtype=object) + "|" + pd.Series(place, dtype=object)
    return key.to_numpy(dtype=object)


@dataclass(frozen=True)
class AddressComparison(Comparison):
    """Street, postal code and city together, since they are not independent evidence.

    Only what both records have is compared: a street that agrees counts whether or not the other
    record gives the postal code, and a city spelled another way (or missing) does not undo it. The
    place contradicts only when both give it and it differs."""

    kind: ClassVar[str] = "address"
    shared_by_households: ClassVar[bool] = True
    DEFAULT_LEVELS: ClassVar[tuple[Level, ...]] = (
        Level("same_street", 0.95),
        Level("similar_street", 0.8),
        Level("same_street_elsewhere", 0.95),
        Level("same_postal_code"),
        Level("same_city", 0.85),
        Level("same_postal_area"),
    )

    LEVEL_COLUMNS: ClassVar[dict[str, tuple[str, ...]]] = {
        "same_street": ("street",),
        "similar_street": ("street",),
        "same_street_elsewhere": ("street",),
        "same_postal_code": ("postal",),
        "same_city": ("city",),
        "same_postal_area": ("postal",),
    }

    def present(self, p: Pairs) -> np.ndarray:
        return p.known("street") | p.known("postal") | p.known("city")

    def _contradicts(self, p: Pairs) -> np.ndarray:
        """Per pair: the place contradicts, by postal code where both give one (one keystroke off
        is a typo, not another place), else by city."""

        def compute() -> np.ndarray:
            every = np.arange(len(p))
            postal_known = p.known("postal")
            near_postal = p.same("postal", every)
            differ = np.flatnonzero(postal_known & ~near_postal)
            near_postal[differ] = distance(*p.at("postal", differ)) <= 1
            by_city = np.flatnonzero(~postal_known)
            differ_city = np.zeros(len(p), dtype=bool)
            differ_city[by_city] = self._city_similarity(p, by_city) < 0.85
            return np.where(postal_known, ~near_postal, p.known("city") & differ_city)

        return p.memo("place contradicts", compute)

    def _city_similarity(self, p: Pairs, k: np.ndarray) -> np.ndarray:
        """How alike the city names of the pairs `k` are (0 where either is missing), each pair
        computed once however many levels ask."""
        known = p.memo("city known", lambda: p.known("city"))
        done = p.memo("city similarity", lambda: np.where(known, np.nan, 0.0).astype(np.float32))
        todo = k[np.isnan(done[k])]
        if len(todo):
            done[todo] = similarity(*p.at("city", todo))
        return done[k]

    def _street_similarity(self, p: Pairs) -> np.ndarray:
        """Per pair: how alike the street lines are, words in any order, a flat or a building
        added (0 where either is missing, or the house numbers differ: 12 and 21 Main St)."""

        def compute() -> np.ndarray:
            both = np.flatnonzero(p.known("street"))
            sa, sb = p.at("street", both)
            alike = similarity(*p.at("street", both, "sorted words"), scorer=fuzz.ratio)  # = token sort
            partly = np.flatnonzero((alike >= 0.5) & (alike < 0.95))  # one may add a flat or a building
            alike[partly] = np.maximum(
                alike[partly], similarity(sa[partly], sb[partly], fuzz.token_set_ratio)
            )
            close = np.flatnonzero(alike >= 0.5)  # the numbers matter only where the words agree
            alike[close[~_numbers_agree(*p.at("street", both[close], "numbers"))]] = 0.0
            out = np.zeros(len(p), dtype=np.float32)
            out[both] = alike
            return out

        return p.memo("street similarity", compute)

    def _street_alike(self, p: Pairs, k: np.ndarray, threshold: float) -> np.ndarray:
        return self._street_similarity(p)[k] >= threshold

    def _street(self, p: Pairs, k: np.ndarray, threshold: float) -> np.ndarray:
        """The street agrees and the place does not contradict it."""
        return self._street_alike(p, k, threshold) & ~self._contradicts(p)[k]

    def test_same_street(self, p: Pairs, k: np.ndarray, threshold: float) -> np.ndarray:
        return self._street(p, k, threshold)

    def test_similar_street(self, p: Pairs, k: np.ndarray, threshold: float) -> np.ndarray:
        return self._street(p, k, threshold)

    def test_same_street_elsewhere(self, p: Pairs, k: np.ndarray, threshold: float) -> np.ndarray:
        """The same street and number under another place name (a district and its city, a
        neighbourhood), or in another town with a street of that name."""
        return self._street_alike(p, k, threshold)

    def test_same_postal_code(self, p: Pairs, k: np.ndarray, _: Any) -> np.ndarray:
        return p.same("postal", k)

    def test_same_city(self, p: Pairs, k: np.ndarray, threshold: float) -> np.ndarray:
        return self._city_similarity(p, k) >= threshold

    def test_same_postal_area(self, p: Pairs, k: np.ndarray, _: Any) -> np.ndarray:
        """Postal codes that differ only in their last two characters: the same district (a UK
        sector, a German or US delivery area), where a move or a typo of the last digits lands."""
        return p.same("postal", k, "postal area")

    def exact_key(self, mf: MatchFrame) -> np.ndarray | None:
        return address_key(mf)


@dataclass(frozen=True)
class FuzzyTextComparison(Comparison):
    """Free text (a second address line, a text custom column): exact, similar, else."""

    kind: ClassVar[str] = "text"
    DEFAULT_LEVELS: ClassVar[tuple[Level, ...]] = (Level("exact"), Level("jaro_winkler", 0.9))

    def test_jaro_winkler(self, p: Pairs, k: np.ndarray, threshold: float) -> np.ndarray:
        return similarity(*p.at(self.columns[0], k)) >= threshold


@dataclass(frozen=True)
class AddressLineComparison(FuzzyTextComparison):
    """A second address line (flat, building): what a household shares."""

    kind: ClassVar[str] = "address_line2"
    shared_by_households: ClassVar[bool] = True


@dataclass(frozen=True)
class CompanyComparison(Comparison):
    """Organisation names, compared after legal forms, "the", "and" and punctuation are gone:
    exact; the same words in any order or one name inside the other ("Arnie Morton's" / "Arnie
    Morton's of Chicago"); an abbreviation ("IBM" / "International Business Machines"); similar."""

    kind: ClassVar[str] = "company"
    shared_by_households: ClassVar[bool] = True  # colleagues share it
    DEFAULT_LEVELS: ClassVar[tuple[Level, ...]] = (
        Level("exact"),
        Level("same_words", 0.9),
        Level("abbreviation"),
        Level("similar", 0.8),
    )

    def test_same_words(self, p: Pairs, k: np.ndarray, threshold: float) -> np.ndarray:
        return similarity(*p.at("company", k), scorer=fuzz.token_set_ratio) >= threshold

    def test_abbreviation(self, p: Pairs, k: np.ndarray, _: Any) -> np.ndarray:
        words_a, words_b = p.at("company", k, "words")
        acronym_a, acronym_b = p.at("company", k, "acronym")
        compact_a, compact_b = p.at("company", k, "compact")
        one = ~words_a & words_b & equal(compact_a, acronym_b)
        other = ~words_b & words_a & equal(compact_b, acronym_a)
        return (one | other) & (_shortest(p, "company", k) >= 2)

    def test_similar(self, p: Pairs, k: np.ndarray, threshold: float) -> np.ndarray:
        a, b = p.at("company", k)
        return (similarity(a, b) >= max(threshold, 0.88)) | (
            similarity(a, b, fuzz.token_sort_ratio) >= threshold
        )

    def exact_key(self, mf: MatchFrame) -> np.ndarray | None:
        return mf.array("company")


@dataclass(frozen=True)
class IdComparison(Comparison):
    """Identifiers (a national id, a loyalty number): exact, one typo, else."""

    kind: ClassVar[str] = "id"
    DEFAULT_LEVELS: ClassVar[tuple[Level, ...]] = (Level("exact"), Level("typo", 1))

    def test_typo(self, p: Pairs, k: np.ndarray, edits: float) -> np.ndarray:
        return distance(*p.at(self.columns[0], k)) <= edits

    def exact_key(self, mf: MatchFrame) -> np.ndarray | None:
        return mf.array(self.columns[0])


@dataclass(frozen=True)
class DateComparison(Comparison):
    """Dates (a birth date): the same day; the same 1 January (how many systems store a year
    alone, or an unknown date: weaker evidence than a real day); a typo (one digit, or day and
    month swapped); within a month; within a year; else. Any year from 1000 on is compared."""

    kind: ClassVar[str] = "date"
    DEFAULT_LEVELS: ClassVar[tuple[Level, ...]] = (
        Level("exact_day"),
        Level("exact"),
        Level("typo", 1),
        Level("within_days", 31),
        Level("within_days", 366),
    )

    def test_exact_day(self, p: Pairs, k: np.ndarray, _: Any) -> np.ndarray:
        """The same date, and not a 1 January."""
        column = self.columns[0]
        return p.same(column, k) & ~p.at(column, k, "first of january")[0]

    def test_typo(self, p: Pairs, k: np.ndarray, edits: float) -> np.ndarray:
        column = self.columns[0]
        digits_a, digits_b = p.at(column, k, "digits")
        swapped_a, _ = p.at(column, k, "ydm")
        return (distance(digits_a, digits_b) <= edits) | equal(swapped_a, digits_b)

    def test_within_days(self, p: Pairs, k: np.ndarray, days: float) -> np.ndarray:
        a, b = p.at(self.columns[0], k, "days")
        return np.nan_to_num(np.abs(a - b), nan=np.inf) <= days


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
        AddressLineComparison,
        FuzzyTextComparison,
        CompanyComparison,
        IdComparison,
        DateComparison,
    )
}


#: Custom column content -> its comparison (timestamps are record metadata: not compared).
CUSTOM_KINDS: dict[str, type[Comparison]] = {
    "id": IdComparison,
    "phone": PhoneComparison,
    "text": FuzzyTextComparison,
    "category": ExactComparison,
    "date": DateComparison,
}


def from_spec(spec: dict[str, Any]) -> Comparison:
    """A comparison from its `spec()`; a model saved before levels were written gets the defaults
    of its kind."""
    cls = KINDS.get(spec["kind"])
    if cls is None:
        raise ConfigError(
            f"the match model has a comparison of unknown kind {spec['kind']!r}",
            hint="it was written by a newer crmmigrate; upgrade, or fit a new model",
        )
    levels = tuple(Level.from_spec(lv) for lv in spec.get("levels", ()))
    return cls(name=spec["name"], columns=tuple(spec["columns"]), levels=levels)


#: Canonical identity field -> (the comparison that covers it, the match-frame column it needs).
IDENTITY_COMPARISONS: dict[str, tuple[str, str]] = {
    "first_name": ("first_name", "first_raw"),
    "full_name": ("first_name", "first_raw"),
    "last_name": ("last_name", "last"),
    "email": ("email", "email"),
    "phone": ("phone", "p9_phone"),
    "address_line1": ("address", "street"),
    "postal_code": ("address", "postal"),
    "city": ("address", "city"),
    "company": ("company", "company"),
    "date_of_birth": ("date_of_birth", "dob"),
    "country": ("country", "country"),
}
#: Fields compared only when `dedupe.compare` names them.
OPTIONAL_COMPARISONS: dict[str, tuple[str, str]] = {
    "address_line2": ("address_line2", "line2"),
    "region": ("region", "region"),
}
#: Every comparison name the canonical fields give, for checking `dedupe.compare`.
FIELD_COMPARISONS = {f: name for f, (name, _) in {**IDENTITY_COMPARISONS, **OPTIONAL_COMPARISONS}.items()}


def _build(name: str, levels: tuple[Level, ...] = ()) -> Comparison:
    builders: dict[str, Callable[[], Comparison]] = {
        "first_name": lambda: FirstNameComparison("first_name", ("first", "first_raw"), levels),
        "last_name": lambda: LastNameComparison("last_name", ("last",), levels),
        "email": lambda: EmailComparison("email", ("email",), levels),
        "phone": lambda: PhoneComparison("phone", ("p9_phone",), levels),
        "address": lambda: AddressComparison("address", ("street", "postal", "city"), levels),
        "company": lambda: CompanyComparison("company", ("company",), levels),
        "date_of_birth": lambda: DateComparison("date_of_birth", ("dob",), levels),
        "country": lambda: CountryComparison("country", ("country",), levels),
        "address_line2": lambda: AddressLineComparison("address_line2", ("line2",), levels),
        "region": lambda: CountryComparison("region", ("region",), levels),
    }
    return builders[name]()


def _filled(mf: MatchFrame, column: str, varied: bool = True) -> bool:
    """The column has values (and, when `varied`, more than one: a constant tells rows apart
    nowhere; but against stored records a few new rows may well all agree)."""
    values = mf.data.get(column)
    return values is not None and values.notna().any() and (not varied or values.nunique() > 1)


def default_comparisons(
    mf: MatchFrame,
    fields: list[str] | None = None,
    *,
    varied: bool = True,
    levels: dict[str, tuple[Level, ...]] | None = None,
) -> list[Comparison]:
    """A comparison for every filled identity field, or for the `fields` asked for (canonical
    fields or custom columns). Custom columns are compared by default only when they hold
    identifiers (a national id, a loyalty number); categories and free text (a lifecycle stage, a
    lead status) only when named. With `varied`, only fields with more than one distinct value."""
    levels = levels or {}
    wanted = None if fields is None else set(fields)
    chosen: dict[str, Comparison] = {}
    table = IDENTITY_COMPARISONS if wanted is None else {**IDENTITY_COMPARISONS, **OPTIONAL_COMPARISONS}
    for name_of_field, (name, column) in table.items():
        if name in chosen or not _filled(mf, column, varied):
            continue
        if wanted is None or name_of_field in wanted or name in wanted:
            chosen[name] = _build(name, levels.get(name, ()))
    if "address" in chosen:
        chosen.pop("region", None)  # implied by the postal code: would count the same evidence twice
    for column, kind in mf.custom.items():
        asked = wanted is not None and column in wanted
        if wanted is not None and not asked:
            continue
        if wanted is None and kind != "id":
            continue
        if kind == "phone":
            continue  # compared with `phone`, as another phone column
        cls = CUSTOM_KINDS.get(kind)
        if cls is None or not _filled(mf, f"x_{column}", varied):
            continue
        chosen[column] = cls(column, (f"x_{column}",), levels.get(column, ()))
    return list(chosen.values())


def compare(mf: MatchFrame, comparisons: list[Comparison], i: np.ndarray, j: np.ndarray) -> np.ndarray:
    """The comparison matrix: one row per pair, one int8 level per comparison (NULL = -1)."""
    gamma = np.full((len(i), len(comparisons)), NULL, dtype=np.int8)
    for start in range(0, len(i), CHUNK):
        a, b = i[start : start + CHUNK], j[start : start + CHUNK]
        for column, comparison in enumerate(comparisons):
            gamma[start : start + CHUNK, column] = comparison.gamma(mf, a, b)
    return gamma
