"""What customers of each country look like: names, streets, real city/postal-code pairs, phone
plans and the ways each legacy system writes the country. Read once from the data file
`crmmigrate/data/samples_locales.yml`, so the tables can grow without touching code.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from ..errors import ConfigError

DATA_FILE = Path(__file__).resolve().parent.parent / "data" / "samples_locales.yml"


@dataclass(frozen=True)
class City:
    name: str
    region: str
    area_code: str  # landline area code as dialled after the trunk prefix
    postcodes: tuple[str, ...]  # templates: '#' a digit, '?' a letter of the country's set


@dataclass(frozen=True)
class PhonePlan:
    calling_code: int
    trunk: str  # "0" where national numbers are dialled with a leading 0
    fixed_len: int  # usual national significant number length of a landline
    mobile_prefixes: tuple[str, ...]  # empty: mobiles share the landline plan (NANP)
    mobile_len: int
    style: str  # how people group the digits (see phones.py)


@dataclass(frozen=True)
class Locale:
    code: str  # ISO 3166-1 alpha-2
    weight: float
    female: tuple[str, ...]
    male: tuple[str, ...]
    last: tuple[str, ...]
    titles: tuple[str, ...]
    streets: tuple[str, ...]
    line2: tuple[str, ...]
    cities: tuple[City, ...]
    postcode_letters: str
    address: str  # one-line address template: {line1} {city} {region} {postcode}
    line1: str  # street line template: {street} {number}
    house_numbers: str  # small (European), wide (American), chome (Japanese blocks)
    phone: PhonePlan
    email_domains: tuple[str, ...]
    salesforce_country: tuple[str, ...]
    erp_land: tuple[str, ...]
    company: tuple[str, ...]
    company_tld: str


@dataclass(frozen=True)
class Reference:
    locales: dict[str, Locale]
    nicknames: dict[str, tuple[str, ...]]


def _text(value: Any, where: str) -> str:
    """A code written in the YAML file: refuses what YAML 1.1 reads as a boolean (ON, NO, Y)."""
    if isinstance(value, bool):
        raise TypeError(f'{where}: {value} is a YAML boolean; quote the code ("ON", "NO")')
    return str(value)


def _locale(code: str, raw: dict[str, Any]) -> Locale:
    phone = raw["phone"]
    return Locale(
        code=code,
        weight=float(raw["weight"]),
        female=tuple(raw["female"]),
        male=tuple(raw["male"]),
        last=tuple(raw["last"]),
        titles=tuple(raw.get("titles") or ()),
        streets=tuple(raw["streets"]),
        line2=tuple(str(x) for x in raw.get("line2") or ()),
        cities=tuple(
            City(str(c[0]), _text(c[1], f"{code} {c[0]}"), str(c[2]), tuple(str(p) for p in c[3]))
            for c in raw["cities"]
        ),
        postcode_letters=raw.get("postcode_letters", "ABCDEFGHJKLMNPRSTUVWXYZ"),
        address=raw["address"],
        line1=raw["line1"],
        house_numbers=raw.get("house_numbers", "small"),
        phone=PhonePlan(
            calling_code=int(phone["cc"]),
            trunk=str(phone["trunk"]),
            fixed_len=int(phone["fixed_len"]),
            mobile_prefixes=tuple(str(p) for p in phone.get("mobile") or ()),
            mobile_len=int(phone["mobile_len"]),
            style=phone["style"],
        ),
        email_domains=tuple(raw["email_domains"]),
        salesforce_country=tuple(raw["salesforce_country"]),
        erp_land=tuple(str(x) for x in raw["erp_land"]),
        company=tuple(raw["company"]),
        company_tld=str(raw["company_tld"]),
    )


@functools.lru_cache(maxsize=1)
def reference() -> Reference:
    """The reference tables, parsed once per process."""
    try:
        raw = yaml.safe_load(DATA_FILE.read_text(encoding="utf-8"))
        locales = {
            _text(code, "country code"): _locale(code, spec) for code, spec in raw["countries"].items()
        }
    except (OSError, KeyError, TypeError, IndexError, yaml.YAMLError) as exc:
        raise ConfigError(f"the sample reference data is broken ({exc})", file=str(DATA_FILE)) from exc
    nicknames = {name: tuple(alts) for name, alts in (raw.get("nicknames") or {}).items()}
    return Reference(locales=locales, nicknames=nicknames)
