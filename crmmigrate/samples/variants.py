"""Where each customer shows up, and how a second record of the same customer differs.

Roughly 30% of customers have more than one record: the same person in two or three systems
(the CRM, the web shop, the ERP) or registered twice in one. A second record rarely matches
the first exactly: a typo, a nickname, first and last name swapped, fields left empty, a phone
written another way, an address after a move, a new e-mail address, shouting or dropped accents.
"""

from __future__ import annotations

import random
from typing import Any

from .draws import Weighted, pick
from .population import Customer, Population, new_address
from .text import german_fold, has_accents, strip_accents, typo

SOURCES = ("salesforce", "webshop", "erp")
PRIMARY_WEIGHTS = (0.40, 0.37, 0.23)
SHARE_TWO_SOURCES = 0.19
SHARE_THREE_SOURCES = 0.05
SHARE_SAME_SOURCE_TWICE = 0.07

#: Variations of a duplicate record and how often each is picked.
VARIATIONS = {
    "typo_last": 0.14,
    "typo_first": 0.10,
    "nickname": 0.12,
    "swap": 0.05,
    "fold": 0.10,
    "drop": 0.18,
    "moved": 0.08,
    "new_email": 0.10,
    "new_mobile": 0.05,
    "case": 0.08,
}
PRIMARY = Weighted(SOURCES, PRIMARY_WEIGHTS)
HOW_MANY = Weighted((0, 1, 2, 3), (0.15, 0.45, 0.30, 0.10))  # variations in one duplicate
DROPPABLE = ("email", "mobile", "landline", "dob", "line2", "postcode")


def appearances(customer: Customer, rng: random.Random) -> list[str]:
    """The sources holding a record of the customer, a source twice for a double registration."""
    if customer["kind"] == "company":
        return ["erp", "erp"] if rng.random() < 0.08 else ["erp"]
    primary = PRIMARY(rng)
    found = [primary]
    others = [s for s in SOURCES if s != primary]
    r = rng.random()
    if r < SHARE_THREE_SOURCES:
        found += others
    elif r < SHARE_THREE_SOURCES + SHARE_TWO_SOURCES:
        found.append(pick(rng, others))
    if rng.random() < SHARE_SAME_SOURCE_TWICE:
        found.append(pick(rng, found))
    return found


class Variator:
    """Makes the view of a customer that one duplicate record shows."""

    def __init__(self, population: Population) -> None:
        self.population = population
        self.nicknames = population.ref.nicknames
        self._variation = Weighted(list(VARIATIONS), list(VARIATIONS.values()))

    def variant(self, customer: Customer, rng: random.Random, *, same_source: bool, source: str) -> Customer:
        view = dict(customer)
        count = HOW_MANY(rng)
        chosen = set()
        for _ in range(count):
            chosen.add(self._variation(rng))
        if same_source and source == "webshop":
            chosen.add("new_email")  # a shop login is unique: a second account needs another address
        if customer["kind"] == "company":
            chosen -= {"typo_first", "nickname", "swap", "new_mobile"}
        for name in sorted(chosen):
            getattr(self, f"_{name}")(view, rng)
        if source == "webshop" and not view["email"]:
            self._new_email(view, rng)  # nobody shops without a login
        return view

    def unique_login(self, view: Customer, logins: set[str], rng: random.Random) -> Customer:
        """The view with an address no other shop account uses (a family shares one only offline)."""
        if view["email"].lower() in logins:
            view = dict(view)
            self._new_email(view, rng)
        logins.add(view["email"].lower())
        return view

    def _typo_last(self, view: dict[str, Any], rng: random.Random) -> None:
        field = "last" if view["kind"] == "person" else "company"
        view[field] = typo(view[field], rng)

    def _typo_first(self, view: dict[str, Any], rng: random.Random) -> None:
        view["first"] = typo(view["first"], rng)

    def _nickname(self, view: dict[str, Any], rng: random.Random) -> None:
        names = self.nicknames.get(view["first"])
        if names:
            view["first"] = pick(rng, names)
        elif " " in view["first"] or "-" in view["first"]:  # Jean-Pierre -> Jean, María José -> María
            view["first"] = view["first"].replace("-", " ").split()[0]

    def _swap(self, view: dict[str, Any], rng: random.Random) -> None:
        view["swapped"] = True

    def _fold(self, view: dict[str, Any], rng: random.Random) -> None:
        german = view["country"] in ("DE", "AT", "CH") and rng.random() < 0.7
        fold = german_fold if german else strip_accents
        for field in ("first", "last", "company", "street"):
            if has_accents(view[field]):
                view[field] = fold(view[field])

    def _drop(self, view: dict[str, Any], rng: random.Random) -> None:
        for field in rng.sample(DROPPABLE, pick(rng, (1, 1, 2))):
            view[field] = "" if field in ("line2", "postcode", "email") else None

    def _moved(self, view: dict[str, Any], rng: random.Random) -> None:
        locale = self.population.ref.locales[view["country"]]
        view.update(new_address(locale, rng))
        if view["landline"] is not None:
            view["landline"] = self.population.phonebook(view["country"]).landline(
                rng, view["city"].area_code
            )

    def _new_email(self, view: dict[str, Any], rng: random.Random) -> None:
        if view["kind"] == "person":
            view["email"] = self.population.other_email(view, rng)

    def _new_mobile(self, view: dict[str, Any], rng: random.Random) -> None:
        view["mobile"] = self.population.phonebook(view["country"]).mobile(rng)

    def _case(self, view: dict[str, Any], rng: random.Random) -> None:
        view["case"] = pick(rng, ("upper", "lower", "lower"))
