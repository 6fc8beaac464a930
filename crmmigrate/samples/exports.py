"""How each legacy system writes a customer: one renderer per kind of export.

A renderer turns the view of a customer into the row (without its key, which is given once the
rows are in file order) and the moment the record was created, which orders the file.
"""

from __future__ import annotations

import datetime as dt
import random
from typing import Any

from .draws import Weighted, below, between, pick
from .locales import Locale, Reference
from .phones import Phone, write_phone
from .population import EPOCH, SPAN_SECONDS
from .text import cp1252_safe, german_fold, shout

SALESFORCE_HEADER = (
    "Id", "Salutation", "FirstName", "LastName", "Email", "Phone", "MobilePhone", "MailingStreet",
    "MailingCity", "MailingState", "MailingPostalCode", "MailingCountry", "Birthdate", "CreatedDate",
    "LastModifiedDate",
)  # fmt: skip
WEBSHOP_HEADER = (
    "customer_id", "name", "email", "phone", "address", "country_code", "registered_at", "last_login",
)  # fmt: skip
ERP_HEADER = (
    "KUNDENNR", "NAME1", "VORNAME", "FIRMA", "STRASSE", "PLZ", "ORT", "LAND", "TELEFON", "EMAIL",
    "GEBURTSDATUM", "ANGELEGT_AM", "GEAENDERT_AM",
)  # fmt: skip

Row = list[str]
#: Phone writing habits (E.164, international, 00-international, national), see phones.write_phone.
MIX_CRM = Weighted(range(4), (0.20, 0.45, 0.05, 0.30))
MIX_SHOP = Weighted(range(4), (0.10, 0.25, 0.15, 0.50))
MIX_ERP_HOME = Weighted(range(4), (0.02, 0.08, 0.05, 0.85))
MIX_ERP_ABROAD = Weighted(range(4), (0.10, 0.50, 0.35, 0.05))
LATEST = EPOCH + dt.timedelta(seconds=SPAN_SECONDS)

SALUTATIONS = {"f": ("Ms.", "Ms.", "Mrs."), "m": ("Mr.",)}


def record_created(view: dict[str, Any], rng: random.Random) -> dt.datetime:
    """Each system learnt of the customer at its own time, within a few years of the first."""
    created = view["created"] + dt.timedelta(seconds=between(rng, -2 * 365 * 86400, 2 * 365 * 86400))
    if created < EPOCH:  # mirrored back into the systems' lifetime, not piled up at its edge
        created = EPOCH + (EPOCH - created)
    elif created > LATEST:
        created = LATEST - (created - LATEST)
    return created


def _later(moment: dt.datetime, rng: random.Random) -> dt.datetime:
    return min(
        moment + dt.timedelta(seconds=below(rng, max(1, int((LATEST - moment).total_seconds())))), LATEST
    )


def _names(view: dict[str, Any]) -> tuple[str, str]:
    first, last = view["first"], view["last"]
    case = view.get("case")
    if case == "upper":
        first, last = shout(first), shout(last)
    elif case == "lower":
        first, last = first.lower(), last.lower()
    return (last, first) if view.get("swapped") else (first, last)


def _phone(
    phone: Phone | None, locale: Locale, rng: random.Random, mix: Weighted[int], from_europe: bool = False
) -> str:
    return write_phone(phone, locale.phone, rng, mix, from_europe=from_europe) if phone is not None else ""


def _line1(view: dict[str, Any], locale: Locale) -> str:
    return locale.line1.format(street=view["street"], number=view["number"])


class Renderers:
    def __init__(self, ref: Reference) -> None:
        self.ref = ref

    # --- Salesforce Data Loader: Contact --------------------------------------------------------

    def salesforce(self, view: dict[str, Any], rng: random.Random) -> tuple[dt.datetime, Row]:
        locale = self.ref.locales[view["country"]]
        first, last = _names(view)
        created = record_created(view, rng)
        street = _line1(view, locale)
        if view["line2"] and rng.random() < 0.7:
            street = f"{view['line2']}\n{street}" if locale.code == "GB" else f"{street}\n{view['line2']}"
        landline, mobile = view["landline"], view["mobile"]
        phone = landline if landline is not None else (mobile if rng.random() < 0.4 else None)
        region = view["city"].region if locale.code in ("US", "CA", "AU", "BR") or rng.random() < 0.1 else ""
        return created, [
            self._salutation(view, rng),
            first,
            last,
            view["email"] if rng.random() < 0.95 else "",
            _phone(phone, locale, rng, MIX_CRM),
            _phone(mobile, locale, rng, MIX_CRM) if rng.random() < 0.8 else "",
            street,
            view["city"].name,
            region,
            view["postcode"],
            pick(rng, locale.salesforce_country) if rng.random() < 0.97 else "",
            view["dob"].isoformat() if view["dob"] and rng.random() < 0.55 else "",
            f"{created:%Y-%m-%dT%H:%M:%S}.000Z",
            f"{_later(created, rng):%Y-%m-%dT%H:%M:%S}.000Z",
        ]

    @staticmethod
    def _salutation(view: dict[str, Any], rng: random.Random) -> str:
        title = view["title"]
        if title.startswith("Prof"):
            return "Prof."
        if title.startswith("Dr"):
            return "Dr."
        return pick(rng, SALUTATIONS[view["gender"]]) if rng.random() < 0.65 else ""

    # --- web shop customer table ----------------------------------------------------------------

    def webshop(self, view: dict[str, Any], rng: random.Random) -> tuple[dt.datetime, Row]:
        locale = self.ref.locales[view["country"]]
        first, last = _names(view)
        if view.get("swapped"):
            name = f"{first}, {last}" if rng.random() < 0.5 else f"{first} {last}"
        else:
            name = f"{first} {last}"
        if view["title"] and rng.random() < 0.6:
            name = f"{view['title']} {name}"
        style = rng.random()
        if style < 0.08:
            name = name.lower()
        elif style < 0.10:
            name = shout(name)
        created = record_created(view, rng)
        phone = view["mobile"] if view["mobile"] is not None and rng.random() < 0.7 else view["landline"]
        code = locale.code if rng.random() < 0.93 else ""
        last_login = f"{_later(created, rng):%Y-%m-%d %H:%M:%S}" if rng.random() < 0.85 else ""
        return created, [
            name,
            view["email"].lower() if rng.random() < 0.9 else view["email"],
            _phone(phone, locale, rng, MIX_SHOP) if rng.random() < 0.85 else "",
            self.one_line_address(view, locale, rng),
            code.lower() if code and rng.random() < 0.03 else code,
            f"{created:%Y-%m-%d %H:%M:%S}",
            last_login,
        ]

    @staticmethod
    def one_line_address(view: dict[str, Any], locale: Locale, rng: random.Random) -> str:
        """The whole address on one line, in the country's own order (221B Baker Street, London ...)."""
        street = view["street"]
        if locale.code in ("DE", "AT") and rng.random() < 0.15:
            street = street.replace("straße", "str.").replace("Straße", "Str.")
        elif locale.code in ("DE", "AT") and rng.random() < 0.1:
            street = german_fold(street) if rng.random() < 0.5 else street.replace("ß", "ss")
        line1 = locale.line1.format(street=street, number=view["number"])
        if view["line2"] and rng.random() < 0.6:
            line1 = f"{view['line2']}, {line1}" if locale.code == "GB" else f"{line1}, {view['line2']}"
        city = view["city"]
        text = locale.address.format(
            line1=line1, city=city.name, region=city.region, postcode=view["postcode"]
        )
        text = text.replace(" ,", ",").replace("  ", " ").strip(" ,")
        return text.lower() if rng.random() < 0.04 else text

    # --- ERP customer master (German, latin-1) --------------------------------------------------

    def erp(self, view: dict[str, Any], rng: random.Random) -> tuple[dt.datetime, Row]:
        locale = self.ref.locales[view["country"]]
        first, last = _names(view)
        created = record_created(view, rng)
        street = _line1(view, locale)
        if locale.code in ("DE", "AT") and rng.random() < 0.4:
            street = street.replace("straße", "str.").replace("Straße", "Str.")
        shouting = rng.random() < 0.5
        firm = view["company"] if view["kind"] == "company" or rng.random() < 0.8 else ""
        phone = view["landline"] if view["landline"] is not None else view["mobile"]
        mix = MIX_ERP_HOME if locale.code == "DE" else MIX_ERP_ABROAD
        dob = view["dob"]
        row = [
            shout(last) if rng.random() < 0.9 else last,
            shout(first) if rng.random() < 0.6 else first,
            shout(firm) if shouting else firm,
            shout(street) if shouting else street,
            view["postcode"],
            shout(view["city"].name) if shouting or rng.random() < 0.3 else view["city"].name,
            pick(rng, locale.erp_land),
            _phone(phone, locale, rng, mix, from_europe=True) if rng.random() < 0.9 else "",
            view["email"] if rng.random() < 0.7 else "",
            f"{dob:%d/%m/%Y}" if dob and rng.random() < 0.6 else "",
            f"{created:%d/%m/%Y}",
            f"{_later(created, rng):%d/%m/%Y}",
        ]
        return created, [cp1252_safe(v) for v in row]
