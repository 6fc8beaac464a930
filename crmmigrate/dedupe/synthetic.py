"""A small seeded generator of clean-stage frames with known duplicates, for examples and tests.

People get typos, nicknames, swapped names, missing fields and several records across sources;
households share an address, a landline and a surname but not a first name.
"""

from __future__ import annotations

import random

import pandas as pd

FIRST = [
    ("Robert", "robert"),
    ("Anna", "anna"),
    ("Katharina", "katharina"),
    ("Michael", "michael"),
    ("Sabine", "sabine"),
    ("Thomas", "thomas"),
    ("Julia", "julia"),
    ("Stefan", "stefan"),
    ("Laura", "laura"),
    ("Andreas", "andreas"),
    ("Petra", "petra"),
    ("Jonas", "jonas"),
    ("Miriam", "miriam"),
    ("Felix", "felix"),
    ("Ursula", "ursula"),
    ("Tobias", "tobias"),
    ("Helena", "helena"),
    ("Dominik", "dominik"),
]
NICKNAMES = {"robert": "Bob", "katharina": "Kathi", "michael": "Micha", "thomas": "Tom", "andreas": "Andi"}
LAST = [
    "Müller",
    "Schmidt",
    "Schneider",
    "Fischer",
    "Weber",
    "Wagner",
    "Becker",
    "Hoffmann",
    "Zimmermann",
    "Krüger",
    "Hartmann",
    "Lange",
    "Schmitt",
    "Werner",
    "Krause",
    "Lehmann",
    "Köhler",
    "Brandt",
    "Vogel",
    "Kuhn",
    "Pohl",
    "Engel",
    "Horn",
    "Busch",
    "Bergmann",
    "Thiele",
    "Ziegler",
    "Seidel",
    "Kraus",
    "Sommer",
]
STREETS = [
    "Hauptstraße",
    "Bahnhofstraße",
    "Gartenweg",
    "Lindenallee",
    "Schulstraße",
    "Kirchplatz",
    "Ringstraße",
]
CITIES = [
    ("10115", "Berlin"),
    ("20095", "Hamburg"),
    ("80331", "München"),
    ("50667", "Köln"),
    ("60311", "Frankfurt"),
]
SOURCES = ("crm", "shop", "erp")


def _typo(text: str, rng: random.Random) -> str:
    if len(text) < 4:
        return text
    k = rng.randrange(1, len(text) - 1)
    return text[:k] + text[k + 1] + text[k] + text[k + 2 :]


def _ascii(name: str) -> str:
    return name.lower().replace("ü", "ue").replace("ö", "oe")


def _person(pid: int, rng: random.Random, household: dict[str, str] | None) -> dict[str, object]:
    first, canonical = rng.choice(FIRST)
    if household:
        while canonical == household["canonical"]:
            first, canonical = rng.choice(FIRST)
    last = household["last_name"] if household else rng.choice(LAST)
    postal, city = rng.choice(CITIES)
    address = household["address_line1"] if household else f"{rng.choice(STREETS)} {rng.randint(1, 150)}"
    return {
        "person_id": f"P{pid}",
        "first_name": first,
        "first_name_match": canonical,
        "last_name": last,
        "email": f"{canonical}.{_ascii(last)}{rng.randint(1, 999)}@example.org",
        "phone": household["phone"] if household else f"+4930{rng.randint(1000000, 9999999)}",
        "address_line1": address,
        "postal_code": household["postal_code"] if household else postal,
        "city": household["city"] if household else city,
        "country": "DE",
        "date_of_birth": f"{rng.randint(1940, 2002)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}",
        "updated_at": f"20{rng.randint(10, 24)}-0{rng.randint(1, 9)}-1{rng.randint(0, 9)}",
        "canonical": canonical,
    }


def _variant(person: dict[str, object], rng: random.Random) -> dict[str, object]:
    row = dict(person)
    roll = rng.random()
    if roll < 0.2:
        row["first_name"] = _typo(str(row["first_name"]), rng)
        row["first_name_match"] = str(row["first_name"]).lower()
    elif roll < 0.35 and row["canonical"] in NICKNAMES:
        row["first_name"] = NICKNAMES[str(row["canonical"])]
    elif roll < 0.45:
        row["last_name"] = _typo(str(row["last_name"]), rng)
    elif roll < 0.5:
        row["first_name"], row["last_name"] = row["last_name"], row["first_name"]
        row["first_name_match"] = str(row["first_name"]).lower()
    for field in ("email", "phone", "date_of_birth", "address_line1"):
        if rng.random() < 0.25:
            row[field] = None
    if rng.random() < 0.15:
        row["email"] = f"{row['canonical']}{rng.randint(1, 99)}@mail.example"
    return row


def clean_frame(
    people: int = 200, *, seed: int = 1, households: float = 0.15, duplicates: float = 0.5
) -> pd.DataFrame:
    """A clean-stage frame (standard values only) with a `person_id` column holding the truth."""
    rng = random.Random(seed)
    rows: list[dict[str, object]] = []
    pid = 0
    while pid < people:
        person = _person(pid, rng, None)
        group = [person]
        pid += 1
        if rng.random() < households and pid < people:
            group.append(_person(pid, rng, person))
            pid += 1
        for member in group:
            rows.append(member)
            copies = 1 + (rng.random() < 0.3) if rng.random() < duplicates else 0
            rows.extend(_variant(member, rng) for _ in range(copies))
    frame = pd.DataFrame(rows).drop(columns=["canonical"])
    frame.insert(0, "source", [SOURCES[k % 3] for k in range(len(frame))])
    frame.insert(1, "source_row", range(1, len(frame) + 1))
    frame.insert(2, "source_key", [f"K{k:05d}" for k in range(len(frame))])
    frame["first_name_match"] = frame["first_name_match"].str.lower()
    for nickname_of, nickname in NICKNAMES.items():
        frame.loc[frame["first_name"] == nickname, "first_name_match"] = nickname_of
    return frame.sample(frac=1.0, random_state=seed).reset_index(drop=True)
