"""Drafting a mapping from a profile: each column scored against each canonical field by its
name (in seven languages) and by what its values hold, then assigned greedily, best first, each
field and each column once. The draft is meant to be read and edited, not trusted blindly."""

from __future__ import annotations

from dataclasses import dataclass, field

from ..mappings.spec import ColumnRule, MappingSpec
from ..schema import DATE_FIELDS, FIELDS
from .headers import fold, header_scores
from .profiler import ColumnProfile, Profile

#: Kinds a value test recognises with confidence; a mismatch with the field counts against it.
STRONG = frozenset(
    {
        "email",
        "phone",
        "postal_code",
        "country",
        "date",
        "datetime",
        "url",
        "boolean",
        "street",
        "company",
        "id",
    }
)
NAMEISH = frozenset({"person_name", "full_name", "text", "company"})
ACCEPTS: dict[str, frozenset[str]] = {
    "source_key": frozenset({"id", "number", "text", "postal_code"}),
    "first_name": frozenset({"person_name", "full_name", "text"}),
    "last_name": frozenset({"person_name", "full_name", "text"}),
    "full_name": NAMEISH,
    "company": NAMEISH | {"id"},
    "email": frozenset({"email"}),
    "phone": frozenset({"phone", "number", "id"}),
    "mobile_phone": frozenset({"phone", "number", "id"}),
    "address_line1": frozenset({"street", "text", "full_name", "person_name"}),
    "house_number": frozenset({"number", "text", "id", "postal_code"}),
    "address_line2": NAMEISH | {"street"},
    "city": NAMEISH,
    "region": NAMEISH | {"country", "number"},
    "postal_code": frozenset({"postal_code", "number", "id", "text"}),
    "country": frozenset({"country", "text", "person_name", "full_name"}),
    "salutation": NAMEISH | {"boolean"},
    **{f: frozenset({"date", "datetime", "text"}) for f in DATE_FIELDS},
}
#: Fields a column may be given from its values alone, when its name says nothing.
BY_CONTENT = {
    "email": "email",
    "phone": "phone",
    "postal_code": "postal_code",
    "country": "country",
    "street": "address_line1",
    "company": "company",
}
THRESHOLD = 0.55
#: Words of columns about the user who handles the record, not about the customer.
# fmt: off
STAFF_WORDS = frozenset({
    "accountmanager", "agent", "agente", "assigned", "bearbeiter", "betreuer", "commercial", "eigenaar",
    "gestor", "owner", "proprietaire", "rep", "responsabile", "responsable", "sachbearbeiter", "user",
    "vendedor", "verantwortlicher", "vertreter",
})
# fmt: on
STAFF_PHRASES = (
    "created by",
    "modified by",
    "updated by",
    "erstellt von",
    "geandert von",
    "cree par",
    "creado por",
)


@dataclass(frozen=True)
class Suggestion:
    spec: MappingSpec
    notes: dict[str, str] = field(default_factory=dict)  # target -> why
    unmapped: tuple[str, ...] = ()


def score(column: ColumnProfile, target: str, name_score: float) -> float:
    kind = column.kind
    accepts = ACCEPTS.get(target, frozenset())
    if kind == "empty":
        return name_score - 0.1
    if kind in accepts:
        bonus = 0.2 if kind in STRONG else 0.05
    elif kind in STRONG:
        bonus = -0.5
    else:
        bonus = -0.15
    if name_score == 0:
        return 0.45 + bonus if BY_CONTENT.get(kind) == target and column.kind_share >= 0.9 else 0.0
    return name_score + bonus


def _candidates(profile: Profile) -> list[tuple[float, int, str]]:
    found = []
    for i, column in enumerate(profile.columns):
        if _about_staff(column.name):
            continue
        hints = header_scores(column.name)
        for target in ACCEPTS:
            s = score(column, target, hints.get(target, 0.0))
            if s >= THRESHOLD:
                found.append((round(s, 3), i, target))
    return sorted(found, key=lambda t: (-t[0], t[1]))


def _about_staff(header: str) -> bool:
    folded = fold(header)
    return bool(STAFF_WORDS.intersection(folded.split())) or any(p in folded for p in STAFF_PHRASES)


def _assign(profile: Profile) -> dict[str, tuple[int, float]]:
    chosen: dict[str, tuple[int, float]] = {}
    used: set[int] = set()
    for s, i, target in _candidates(profile):
        if target in chosen or i in used:
            continue
        chosen[target] = (i, s)
        used.add(i)
    return chosen


def _adjust(chosen: dict[str, tuple[int, float]], profile: Profile) -> None:
    """Fix-ups a person would make: `Vorname` + `Name` means Name is the last name, etc."""
    cols = profile.columns
    if "full_name" in chosen:
        full = cols[chosen["full_name"][0]]
        if full.kind == "company" and "company" not in chosen:
            chosen["company"] = chosen.pop("full_name")
        elif "first_name" in chosen and "last_name" not in chosen and full.kind != "full_name":
            chosen["last_name"] = chosen.pop("full_name")
    parts = "full_name" in chosen and "first_name" in chosen and "last_name" in chosen
    if parts and header_scores(cols[chosen["full_name"][0]].name).get("full_name", 0.0) < 1.0:
        del chosen["full_name"]  # both name parts are there: a vaguer "name" column is something else
    if "mobile_phone" in chosen and "phone" not in chosen:
        chosen["phone"] = chosen.pop("mobile_phone")


def _describe(column: ColumnProfile, target: str, s: float) -> str:
    name_score = header_scores(column.name).get(target, 0.0)
    why = [f"name {name_score:.0%}"] if name_score else ["values only"]
    if column.kind not in ("text", "empty"):
        why.append(f"values look like {column.kind} ({column.kind_share:.0%})")
    return f"score {s:.2f}: " + ", ".join(why)


def suggest(profile: Profile) -> Suggestion:
    chosen = _assign(profile)
    _adjust(chosen, profile)
    cols = profile.columns
    key = cols[chosen.pop("source_key")[0]].name if "source_key" in chosen else None
    house = chosen.pop("house_number", None)
    chosen.pop("salutation", None)
    rules: dict[str, ColumnRule] = {}
    notes: dict[str, str] = {}
    for target in (*FIELDS, "mobile_phone"):
        if target not in chosen:
            continue
        i, s = chosen[target]
        column = cols[i]
        if target == "address_line1" and house is not None:
            rule = ColumnRule(join=[column.name, cols[house[0]].name])
        elif target in DATE_FIELDS and column.date_format:
            rule = ColumnRule(column=column.name, format=column.date_format)
        else:
            rule = ColumnRule(column=column.name)
        rules[target] = rule
        notes[target] = _describe(column, target, s)
    used = {key} | {c for r in rules.values() for c in r.source_columns()}
    unmapped = tuple(c.name for c in cols if c.name not in used)
    name = profile.path.rsplit("/", 1)[-1] if profile.path else None
    spec = MappingSpec(
        name=None,
        description=f"draft mapping for {name}" if name else "draft mapping",
        key=key,
        columns=rules,
    )
    return Suggestion(spec=spec, notes=notes, unmapped=unmapped)


def suggest_mapping(profile: Profile) -> MappingSpec:
    """A draft mapping for the profiled file (see `suggest` for the reasons behind it)."""
    return suggest(profile).spec
