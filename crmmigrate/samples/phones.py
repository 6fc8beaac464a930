"""Valid phone numbers of each country, written the many ways people type them.

A number is drawn inside a block of the national plan (a city's area code or a mobile prefix)
and checked against libphonenumber's patterns before use, so every generated number parses as
valid. The
blocks themselves are probed once per process: a block of the reference data that libphonenumber
does not accept is dropped rather than producing invalid numbers.
"""

from __future__ import annotations

import random
import re
from collections.abc import Callable
from dataclasses import dataclass

import phonenumbers
from phonenumbers import PhoneMetadata, PhoneNumber

from .draws import Weighted, below, between, pick
from .locales import Locale, PhonePlan

#: How many leading digits of a mobile number people write apart (0151 23456789, 07700 900123).
MOBILE_SPLIT = {
    "de": 3, "ch": 2, "fr": 1, "gb": 4, "nanp": 3, "es": 3, "it": 3, "nl": 1,
    "pl": 3, "se": 2, "br": 2, "jp": 2, "au": 3,
}  # fmt: skip

#: Shares of the writing styles: E.164, international with spaces, 00-international, national.
MIX_ANY = Weighted(range(4), (0.10, 0.25, 0.10, 0.55))


@dataclass(frozen=True)
class Phone:
    """A national significant number (Italy keeps its leading 0) and its area/prefix length."""

    nsn: str
    split: int

    @property
    def area(self) -> str:
        return self.nsn[: self.split]

    @property
    def subscriber(self) -> str:
        return self.nsn[self.split :]


def is_valid(plan: PhonePlan, region: str, nsn: str) -> bool:
    """libphonenumber's own verdict (slow: it tries every number type of the region)."""
    number = PhoneNumber(country_code=plan.calling_code, national_number=int(nsn))
    zeros = len(nsn) - len(nsn.lstrip("0"))
    if zeros:
        number.italian_leading_zero = True
        if zeros > 1:
            number.number_of_leading_zeros = zeros
    return phonenumbers.is_valid_number_for_region(number, region)


class LandlineOrMobile:
    """A fast check that implies libphonenumber validity: the region's general pattern and the
    fixed-line or mobile pattern (with its possible lengths) match, as libphonenumber tests them.
    Numbers it rejects may still be valid (premium, VoIP...), which a customer sample never needs.
    """

    def __init__(self, region: str) -> None:
        meta = PhoneMetadata.metadata_for_region(region)
        if meta is None:
            raise ValueError(f"libphonenumber has no metadata for {region}")
        self.general = re.compile(meta.general_desc.national_number_pattern)
        self.types = [
            (frozenset(desc.possible_length or ()), re.compile(desc.national_number_pattern))
            for desc in (meta.fixed_line, meta.mobile)
            if desc is not None and desc.national_number_pattern
        ]

    def __call__(self, nsn: str) -> bool:
        if self.general.fullmatch(nsn) is None:
            return False
        size = len(nsn)
        return any((not lengths or size in lengths) and p.fullmatch(nsn) for lengths, p in self.types)


def _random_nsn(rng: random.Random, prefix: str, length: int) -> str:
    rest = length - len(prefix)
    if rest <= 0:
        return prefix
    tail = str(below(rng, 10 ** (rest - 1))).zfill(rest - 1) if rest > 1 else ""
    return f"{prefix}{between(rng, 2, 9)}{tail}"


def _best_length(valid: Callable[[str], bool], prefix: str, preferred: int) -> int | None:
    """The number length closest to `preferred` under which `prefix` gives valid numbers."""
    probe = random.Random(prefix)
    lengths = sorted(range(len(prefix) + 3, 13), key=lambda n: (abs(n - preferred), -n))
    for length in lengths:
        hits = sum(valid(_random_nsn(probe, prefix, length)) for _ in range(12))
        if hits >= 9:
            return length
    return None


class PhoneBook:
    """Valid landline and mobile numbers for one country."""

    MAX_TRIES = 60

    def __init__(self, locale: Locale) -> None:
        self.locale = locale
        self.plan = locale.phone
        self.region = locale.code
        self.valid = LandlineOrMobile(locale.code)
        #: area code as written in the data ("20|378": area 20, subscriber starts with 3, 7 or 8)
        self._landline: dict[str, tuple[int, list[tuple[str, int]]]] = {}
        for city in locale.cities:
            if city.area_code not in self._landline:
                blocks = self._blocks(city.area_code, self.plan.fixed_len)
                if blocks[1]:
                    self._landline[city.area_code] = blocks
        prefixes = self.plan.mobile_prefixes or tuple(self._landline)
        self._mobile: list[tuple[int, list[tuple[str, int]]]] = []
        for prefix in prefixes:
            split, blocks = self._blocks(prefix, self.plan.mobile_len)
            if self.plan.mobile_prefixes:
                split = MOBILE_SPLIT.get(self.plan.style, 3)
            if blocks:
                self._mobile.append((split, blocks))
        if not self._landline or not self._mobile:
            raise ValueError(f"no valid phone blocks for {self.region}; check samples_locales.yml")

    def _blocks(self, code: str, preferred: int) -> tuple[int, list[tuple[str, int]]]:
        area, _, leads = code.partition("|")
        blocks = []
        for prefix in [area + d for d in leads] or [area]:
            length = _best_length(self.valid, prefix, preferred)
            if length is not None:
                blocks.append((prefix, length))
        return len(area), blocks

    def _draw(self, rng: random.Random, prefix: str, length: int) -> str:
        for _ in range(self.MAX_TRIES):
            nsn = _random_nsn(rng, prefix, length)
            if self.valid(nsn):
                return nsn
        raise RuntimeError(f"could not draw a valid {self.region} number in block {prefix}")

    def landline(self, rng: random.Random, area_code: str) -> Phone:
        """A landline in the city's area, or in another city's when that area has no valid block."""
        if area_code not in self._landline:
            area_code = pick(rng, sorted(self._landline))
        return self._number(rng, *self._landline[area_code])

    def mobile(self, rng: random.Random) -> Phone:
        return self._number(rng, *pick(rng, self._mobile))

    def _number(self, rng: random.Random, split: int, blocks: list[tuple[str, int]]) -> Phone:
        prefix, length = pick(rng, blocks)
        return Phone(self._draw(rng, prefix, length), min(split, length - 4))


# --- writing a number -------------------------------------------------------------------------


def _half(digits: str) -> str:
    cut = len(digits) // 2
    return f"{digits[:cut]} {digits[cut:]}"


def _pairs(digits: str, sep: str = " ") -> str:
    start = len(digits) % 2
    head = [digits[:start]] if start else []
    return sep.join(head + [digits[i : i + 2] for i in range(start, len(digits), 2)])


def _ch(digits: str) -> str:
    return f"{digits[:3]} {_pairs(digits[3:])}" if len(digits) > 4 else digits


def _tail4(digits: str, sep: str = "-") -> str:
    return f"{digits[:-4]}{sep}{digits[-4:]}"


Render = Callable[[str, str, str], str]  # (trunk+area, area, subscriber) -> text

#: National ways of writing per style: (trunk and area, area alone, subscriber) -> text.
NATIONAL: dict[str, tuple[Render, ...]] = {
    "de": (
        lambda t, a, s: f"{t} {s}",
        lambda t, a, s: f"{t}/{s}",
        lambda t, a, s: f"{t}-{s}",
        lambda t, a, s: f"({t}) {s}",
        lambda t, a, s: f"{t} {_pairs(s)}",
        lambda t, a, s: f"{t}{s}",
    ),
    "ch": (
        lambda t, a, s: f"{t} {_ch(s)}",
        lambda t, a, s: f"{t}/{_ch(s)}",
        lambda t, a, s: f"{t}{s}",
        lambda t, a, s: f"{t} {s}",
    ),
    "fr": (
        lambda t, a, s: f"{t} {_pairs(s)}",
        lambda t, a, s: f"{t}.{_pairs(s, '.')}",
        lambda t, a, s: f"{t}{s}",
        lambda t, a, s: f"{t}-{_pairs(s, '-')}",
    ),
    "gb": (
        lambda t, a, s: f"{t} {_half(s) if len(s) > 6 else s}",
        lambda t, a, s: f"{t}{s}",
        lambda t, a, s: f"({t}) {_half(s) if len(s) > 6 else s}",
        lambda t, a, s: f"{t} {s}",
    ),
    "nanp": (
        lambda t, a, s: f"({a}) {s[:3]}-{s[3:]}",
        lambda t, a, s: f"{a}-{s[:3]}-{s[3:]}",
        lambda t, a, s: f"{a}.{s[:3]}.{s[3:]}",
        lambda t, a, s: f"{a}{s}",
        lambda t, a, s: f"1-{a}-{s[:3]}-{s[3:]}",
        lambda t, a, s: f"({a}) {s[:3]} {s[3:]}",
    ),
    "es": (
        lambda t, a, s: f"{a}{s[:1]} {_pairs(s[1:])}" if len(a) < 3 else f"{a} {_pairs(s)}",
        lambda t, a, s: f"{(a + s)[:3]} {(a + s)[3:6]} {(a + s)[6:]}",
        lambda t, a, s: f"{a}{s}",
        lambda t, a, s: f"{a} {s}",
    ),
    "it": (
        lambda t, a, s: f"{a} {s}",
        lambda t, a, s: f"{a} {_half(s)}",
        lambda t, a, s: f"{a}-{s}",
        lambda t, a, s: f"{a}/{s}",
        lambda t, a, s: f"{a}{s}",
    ),
    "nl": (
        lambda t, a, s: f"{t}-{s}",
        lambda t, a, s: f"{t} {s}",
        lambda t, a, s: f"({t}) {s}",
        lambda t, a, s: f"{t} {_half(s)}",
        lambda t, a, s: f"{t}{s}",
    ),
    "pl": (
        lambda t, a, s: f"{a} {_ch(s)}" if len(a) == 2 else f"{a} {s[:3]} {s[3:]}",
        lambda t, a, s: f"({a}) {s}",
        lambda t, a, s: f"{a}{s}",
        lambda t, a, s: f"{a}-{s}",
    ),
    "se": (
        lambda t, a, s: f"{t}-{_ch(s)}",
        lambda t, a, s: f"{t} {s}",
        lambda t, a, s: f"{t}-{s}",
        lambda t, a, s: f"{t}{s}",
    ),
    "br": (
        lambda t, a, s: f"({a}) {_tail4(s)}",
        lambda t, a, s: f"{a} {_tail4(s)}",
        lambda t, a, s: f"0{a} {s}",
        lambda t, a, s: f"({a}){s}",
    ),
    "jp": (
        lambda t, a, s: f"{t}-{_tail4(s)}",
        lambda t, a, s: f"({t}) {_tail4(s)}",
        lambda t, a, s: f"{t}{s}",
    ),
    "au": (
        lambda t, a, s: f"({t}) {_half(s)}",
        lambda t, a, s: f"{t} {_half(s)}",
        lambda t, a, s: f"{t}{s}",
    ),
}

#: International ways of writing: (calling code, area, subscriber, trunk) -> text.
INTERNATIONAL: tuple[Callable[[int, str, str, str], str], ...] = (
    lambda c, a, s, t: f"+{c} {a} {s}",
    lambda c, a, s, t: f"+{c} {a} {_half(s)}",
    lambda c, a, s, t: f"+{c}-{a}-{s}",
)
#: Styles of countries that dial abroad with 00 (not the US and Canada, Japan, Australia, Brazil).
IDD_00 = frozenset(("de", "ch", "fr", "gb", "es", "it", "nl", "pl", "se"))
TRUNK_IN_BRACKETS = ("de", "ch", "gb", "nl")  # +49 (0)30 1234567, 0044 (0)20 7946 0123


def write_phone(
    phone: Phone,
    plan: PhonePlan,
    rng: random.Random,
    mix: Weighted[int] = MIX_ANY,
    *,
    from_europe: bool = False,
) -> str:
    """The number as a person or a system of the given habits (`mix`) would type it.

    The 00 international prefix is only written where it is dialled: in the customer's country
    when that country uses 00, or by a European system (`from_europe`) for any number.
    """
    area, sub = phone.area, phone.subscriber
    cc = plan.calling_code
    kind = mix(rng)
    if kind == 2 and not from_europe and plan.style not in IDD_00:
        kind = 1
    if kind == 0:
        return f"+{cc}{phone.nsn}"
    if kind == 1:
        if plan.style in TRUNK_IN_BRACKETS and rng.random() < 0.25:
            return f"+{cc} ({plan.trunk}){area} {sub}"
        return pick(rng, INTERNATIONAL)(cc, area, sub, plan.trunk)
    if kind == 2:
        if plan.style in TRUNK_IN_BRACKETS and rng.random() < 0.4:
            return f"00{cc} ({plan.trunk}){area} {sub}"
        return f"00{cc} {area} {sub}"
    return pick(rng, NATIONAL[plan.style])(plan.trunk + area, area, sub)
