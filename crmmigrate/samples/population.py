"""The true customers behind the exports: people (some living in households) and companies.

A customer is a plain dict (cheap to copy when a source shows a variant of it). Households are
the hard negatives of deduplication: family members and flatmates share an address and a
landline, families a surname and sometimes an e-mail address, twins even a date of birth, yet
they are different customers.
"""

from __future__ import annotations

import datetime as dt
import random
from typing import Any

from .draws import Weighted, below, between, pick
from .locales import City, Locale, Reference
from .phones import Phone, PhoneBook
from .text import email_part

Customer = dict[str, Any]

EPOCH = dt.datetime(2012, 1, 1)
SPAN_SECONDS = int((dt.datetime(2024, 12, 31) - EPOCH).total_seconds())

SHARE_COMPANIES = 0.04  # customers that are companies only (ERP business accounts)
SHARE_EMPLOYED = 0.10  # people the ERP knows with their employer's name
SHARE_HOUSEHOLD = 0.12  # people who start a household of two or more in the data
SHARE_LANDLINE = 0.55  # households with a landline
HOUSEHOLD_SIZE = Weighted((1, 2, 3), (0.6, 0.25, 0.15))  # members beside the first
HOUSEHOLD_KIND = Weighted(("family", "flatmates", "twins"), (0.70, 0.18, 0.12))


def _postcode(template: str, letters: str, rng: random.Random) -> str:
    if "#" not in template and "?" not in template:
        return template
    return "".join(
        str(between(rng, 0, 9)) if c == "#" else pick(rng, letters) if c == "?" else c for c in template
    )


def _house_number(locale: Locale, rng: random.Random) -> str:
    if locale.house_numbers == "wide":
        return str(pick(rng, (between(rng, 1, 99), between(rng, 100, 999), between(rng, 1000, 9999))))
    if locale.house_numbers == "chome":
        return f"{between(rng, 1, 6)}-{between(rng, 1, 30)}-{between(rng, 1, 20)}"
    number = str(min(int(rng.lognormvariate(2.3, 0.9)) + 1, 250))
    if rng.random() < 0.06:
        number += pick(rng, ("a", "b", "A", "B")) if locale.code != "FR" else pick(rng, (" bis", " ter"))
    return number


def new_address(locale: Locale, rng: random.Random) -> dict[str, Any]:
    city: City = pick(rng, locale.cities)
    return {
        "street": pick(rng, locale.streets),
        "number": _house_number(locale, rng),
        "line2": pick(rng, locale.line2) if locale.line2 and rng.random() < 0.15 else "",
        "city": city,
        "postcode": _postcode(pick(rng, city.postcodes), locale.postcode_letters, rng),
    }


def feminine_polish(surname: str) -> str:
    """Kowalski -> Kowalska: Polish adjectival surnames agree with the bearer."""
    for male, female in (("ski", "ska"), ("cki", "cka"), ("dzki", "dzka")):
        if surname.endswith(male):
            return surname[: -len(male)] + female
    return surname


def _birthdate(rng: random.Random, low: int = 1935, high: int = 2005, mode: int = 1975) -> dt.date:
    year = int(rng.triangular(low, high, mode))
    return dt.date(year, 1, 1) + dt.timedelta(days=below(rng, 365))


class Population:
    """Draws customers, country by country, with unique personal e-mail addresses."""

    def __init__(self, ref: Reference) -> None:
        self.ref = ref
        self.codes = sorted(ref.locales)
        self._country = Weighted(self.codes, [ref.locales[c].weight for c in self.codes])
        self._phonebooks: dict[str, PhoneBook] = {}
        self._emails: set[str] = set()

    def phonebook(self, code: str) -> PhoneBook:
        if code not in self._phonebooks:
            self._phonebooks[code] = PhoneBook(self.ref.locales[code])
        return self._phonebooks[code]

    # --- e-mail -------------------------------------------------------------------------------

    def email(self, first: str, last: str, locale: Locale, rng: random.Random, year: int | None) -> str:
        """A personal address derived from the name, unique in the whole population."""
        german = locale.code in ("DE", "AT", "CH")
        f = email_part(first.split()[0], german) or "info"
        last_word = last.split()[-1] if rng.random() < 0.5 else last
        surname = email_part(last_word, german) or "kunde"
        yy = str(year)[2:] if year else str(between(rng, 10, 99))
        local = pick(rng,
            (
                f"{f}.{surname}", f"{f}.{surname}", f"{f}.{surname}", f"{f[0]}.{surname}",
                f"{f}{surname}", f"{surname}.{f}", f"{f}_{surname}", f"{f}.{surname}{yy}",
                f"{f}{surname}{between(rng, 1, 999)}", f"{f[0]}{surname}", f"{surname}{f[0]}{yy}",
            )
        )  # fmt: skip
        domain = pick(rng, locale.email_domains)
        return self._claim(local, domain, rng)

    def _claim(self, local: str, domain: str, rng: random.Random) -> str:
        address = f"{local}@{domain}"
        while address in self._emails:
            address = f"{local}{between(rng, 1, 9999)}@{domain}"
        self._emails.add(address)
        return address

    def other_email(self, person: Customer, rng: random.Random) -> str:
        """The address a customer switched to (new provider, new pattern)."""
        locale = self.ref.locales[person["country"]]
        year = person["dob"].year if person.get("dob") else None
        return self.email(person["first"], person["last"], locale, rng, year)

    # --- customers ----------------------------------------------------------------------------

    def draw(self, rng: random.Random, first_number: int, count: int) -> list[Customer]:
        """`count` customers numbered from `first_number`; households are kept whole when possible."""
        out: list[Customer] = []
        while len(out) < count:
            number = first_number + len(out)
            locale = self.ref.locales[self._country(rng)]
            if rng.random() < SHARE_COMPANIES:
                out.append(self._company(locale, rng, number))
                continue
            person = self._person(locale, rng, number, new_address(locale, rng))
            out.append(person)
            room = count - len(out)
            if room and rng.random() < SHARE_HOUSEHOLD:
                out.extend(self._household(person, locale, rng, number + 1, room))
        return out

    def _person(
        self,
        locale: Locale,
        rng: random.Random,
        number: int,
        address: dict[str, Any],
        *,
        last: str | None = None,
        gender: str | None = None,
        dob: dt.date | None = None,
        avoid: frozenset[str] = frozenset(),
    ) -> Customer:
        gender = gender or pick(rng, "fm")
        first = pick(rng, locale.female if gender == "f" else locale.male)
        while first in avoid:  # siblings and twins are not named alike
            first = pick(rng, locale.female if gender == "f" else locale.male)
        last = last or pick(rng, locale.last)
        if gender == "f" and locale.code == "PL":
            last = feminine_polish(last)
        dob = dob or _birthdate(rng)
        employer = ""
        if rng.random() < SHARE_EMPLOYED:
            employer = self._company_name(locale, rng, address["city"])
        person: Customer = {
            "pid": f"P{number:07d}",
            "kind": "person",
            "country": locale.code,
            "gender": gender,
            "first": first,
            "last": last,
            "title": pick(rng, locale.titles) if locale.titles and rng.random() < 0.05 else "",
            "dob": dob,
            "company": employer,
            "mobile": self.phonebook(locale.code).mobile(rng) if rng.random() < 0.85 else None,
            "landline": self._landline(locale, rng, address) if rng.random() < SHARE_LANDLINE else None,
            "created": EPOCH + dt.timedelta(seconds=below(rng, SPAN_SECONDS)),
            "household": "",
            **address,
        }
        person["email"] = self.email(first, last, locale, rng, dob.year if rng.random() < 0.5 else None)
        return person

    def _landline(self, locale: Locale, rng: random.Random, address: dict[str, Any]) -> Phone:
        return self.phonebook(locale.code).landline(rng, address["city"].area_code)

    def _household(
        self, head: Customer, locale: Locale, rng: random.Random, number: int, room: int
    ) -> list[Customer]:
        size = min(HOUSEHOLD_SIZE(rng), room)
        head["household"] = f"H{head['pid'][1:]}"
        address = {k: head[k] for k in ("street", "number", "line2", "city", "postcode")}
        kind = HOUSEHOLD_KIND(rng)
        members: list[Customer] = []
        for i in range(size):
            taken = frozenset(m["first"] for m in (head, *members))
            members.append(self._member(head, kind, i, locale, rng, number + i, address, taken))
        if kind != "flatmates" and rng.random() < 0.25:
            family = self._family_email(head, locale, rng)
            for m in [head, *members]:
                if rng.random() < 0.8:
                    m["email"] = family
        return members

    def _member(
        self,
        head: Customer,
        kind: str,
        i: int,
        locale: Locale,
        rng: random.Random,
        number: int,
        address: dict[str, Any],
        taken: frozenset[str],
    ) -> Customer:
        """Flatmates are strangers at one address; a family shares the surname; twins the birthday."""
        if kind == "flatmates":
            m = self._person(locale, rng, number, address)
            if rng.random() < 0.5:
                m["landline"] = head["landline"]
        else:
            if kind == "twins" and i == 0:
                dob = head["dob"]
                gender = None
            elif kind == "family" and i == 0:  # the partner
                dob = head["dob"] + dt.timedelta(days=between(rng, -2500, 2500))
                gender = "m" if head["gender"] == "f" else "f"
            else:  # a grown-up child, or a sibling when the child would be a minor
                dob = head["dob"] + dt.timedelta(days=between(rng, 22 * 365, 36 * 365))
                if dob.year > 2005:
                    dob = head["dob"] + dt.timedelta(days=between(rng, -2000, 2000))
                gender = None
            m = self._person(
                locale, rng, number, address, last=head["last"], gender=gender, dob=dob, avoid=taken
            )
            m["landline"] = head["landline"]
        m["household"] = head["household"]
        return m

    def _family_email(self, head: Customer, locale: Locale, rng: random.Random) -> str:
        surname = email_part(head["last"], locale.code in ("DE", "AT", "CH"))
        word = {"DE": "familie", "AT": "familie", "CH": "familie", "FR": "famille", "ES": "familia",
                "IT": "famiglia", "NL": "familie", "PL": "rodzina"}.get(locale.code, "family")  # fmt: skip
        local = pick(rng, (f"{word}.{surname}", f"{surname}{word}", f"{word}{surname}", f"the{surname}s"))
        return self._claim(local, pick(rng, locale.email_domains), rng)

    # --- companies ----------------------------------------------------------------------------

    def _company_name(self, locale: Locale, rng: random.Random, city: City) -> str:
        return pick(rng, locale.company).format(
            last=pick(rng, locale.last), last2=pick(rng, locale.last), city=city.name
        )

    def _company(self, locale: Locale, rng: random.Random, number: int) -> Customer:
        address = new_address(locale, rng)
        name = self._company_name(locale, rng, address["city"])
        words = name.replace("&", " ").replace(".", " ").split()
        german = locale.code in ("DE", "AT", "CH")
        slug = "-".join(w for w in (email_part(w, german) for w in words) if w.isalnum())[:30]
        domain = f"{slug.strip('-') or 'firma'}.{locale.company_tld}"
        return {
            "pid": f"P{number:07d}",
            "kind": "company",
            "country": locale.code,
            "gender": "",
            "first": "",
            "last": "",
            "title": "",
            "dob": None,
            "company": name,
            "mobile": None,
            "landline": self._landline(locale, rng, address),
            "created": EPOCH + dt.timedelta(seconds=below(rng, SPAN_SECONDS)),
            "household": "",
            "email": self._claim(
                pick(rng, ("info", "office", "kontakt", "buchhaltung", "mail")), domain, rng
            ),
            **address,
        }
