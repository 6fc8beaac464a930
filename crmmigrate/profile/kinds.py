"""What a column holds, judged from its values: email, phone, postal code, country, date,
person name, company, street, id... Each kind is a vectorised test on a sample of values; the
kind is the first (in priority order) that most values pass."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache

import pandas as pd

EMAIL = r"^[^@\s]+@[^@\s]+\.[^@\s.]{2,}$"
URL = r"^(?:https?://|www\.)\S+$"
DATE_ONLY = r"^(?:\d{4}[-/.]\d{1,2}[-/.]\d{1,2}|\d{1,2}[-/.]\d{1,2}[-/.](?:\d{4}|\d{2}))$"
DATE_TIME = (
    r"^(?:\d{4}[-/.]\d{1,2}[-/.]\d{1,2}|\d{1,2}[-/.]\d{1,2}[-/.](?:\d{4}|\d{2}))"
    r"[T ]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?\s*(?:Z|[AaPp][Mm]|[+-]\d{2}:?\d{2})?$"
)
POSTAL = (
    r"^(?:\d{5}|\d{4}|\d{4}\s?[A-Za-z]{2}|\d{5}-\d{4}|\d{4}-\d{3}|\d{2}-\d{3}|\d{3}\s\d{2}"
    r"|[A-Za-z]{1,2}\d[A-Za-z\d]?\s?\d[A-Za-z]{2}|[A-Za-z]\d[A-Za-z]\s?\d[A-Za-z]\d"
    r"|(?:D|F|A|CH|NL|B|L|I|E|P)-\d{4,5})$"
)
PHONE = r"^(?:\+|00|0|\()[\d\s()./-]{5,}$|^\d{9,15}$"
# fmt: off
BOOLEAN = frozenset({
    "0", "1", "f", "falsch", "false", "faux", "j", "ja", "n", "nao", "nein", "no", "non", "não", "oui", "si",
    "sim", "sí", "t", "true", "vrai", "wahr", "x", "y", "yes",
})
# fmt: on
NUMBER = r"^-?\d{1,3}(?:[.,' ]?\d{3})*(?:[.,]\d+)?$"
LEGAL_FORM = (
    r"(?i)(?:\b(?:gmbh|ag|kg|ohg|ug|gbr|mbh|kgaa|e\.\s?k\.|ltd|limited|llc|inc|corp|corporation|plc|llp|"
    r"sarl|sàrl|sas|sasu|eurl|snc|sa|s\.a\.?|s\.l\.?|slu|s\.p\.a\.?|spa|s\.r\.l\.?|srl|b\.v\.?|bv|n\.v\.?|nv|"
    r"vof|lda|ltda|oy|ab|a/s|aps|group|holding|gruppe|verlag|werke|bank|company|co\.|& co|partners|"
    r"consulting|services|solutions|software|systems|industries|international|handel|bau|technik)\b)"
)
STREET = (
    r"(?i)(?:stra(?:ss|ß)e|str\.|weg\b|gasse\b|platz\b|allee\b|ring\b|damm\b|ufer\b|\brue\b|\bavenue\b|\bav\.|"
    r"\bboulevard\b|\bbd\b|\bchemin\b|\bimpasse\b|\ball[ée]e\b|\bplace\b|\bcalle\b|\bc/|\bavda\.?|\bavenida\b|"
    r"\bpaseo\b|\bplaza\b|\bcarrer\b|\bvia\b|\bviale\b|\bpiazza\b|\bcorso\b|straat\b|laan\b|plein\b|gracht\b|"
    r"\brua\b|\btravessa\b|\blargo\b|\bpra[çc]a\b|\broad\b|\brd\b|\bstreet\b|\bst\b|\blane\b|\bdrive\b|"
    r"\bway\b|\bcourt\b|\bblvd\b|\bavenue\b)"
)
NAME_WORDS = r"^[^\W\d_][^\W\d_'’.\-]*(?:[.'’\-]?[ \-]?[^\W\d_][^\W\d_'’.\-]*){0,3}\.?$"

#: Kinds whose values are a person's data: masked when printed.
PERSONAL_KINDS = frozenset({"email", "phone", "person_name", "full_name", "street", "date"})
MIN_SHARE = 0.8


#: Country names as written in the seven languages' exports (pycountry has the English ones).
# fmt: off
LOCAL_COUNTRY_NAMES = (
    "Deutschland", "Allemagne", "Alemania", "Germania", "Duitsland", "Alemanha", "Österreich", "Autriche",
    "Oostenrijk", "Áustria", "Schweiz", "Suisse", "Svizzera", "Suiza", "Zwitserland", "Suíça", "Frankreich",
    "Francia", "Frankrijk", "França", "Spanien", "Espagne", "España", "Spagna", "Spanje", "Espanha",
    "Italien", "Italie", "Italië", "Itália", "Niederlande", "Pays-Bas", "Nederland", "Holanda", "Holland",
    "Olanda", "Belgien", "Belgique", "Bélgica", "Belgio", "België", "Portogallo", "Luxemburg", "Polen",
    "Pologne", "Polonia", "Dänemark", "Danemark", "Dinamarca", "Schweden", "Suède", "Suecia", "Svezia",
    "Zweden", "Suécia", "Irland", "Irlande", "Irlanda", "Ierland", "Tschechien", "Griechenland", "Grèce",
    "Grecia", "Griekenland", "Grécia", "Türkei", "Turquie", "Turquía", "Turchia", "Turkije", "Kanada",
    "Canadá", "Brasilien", "Brésil", "Brasile", "Mexiko", "Mexique", "México", "Messico", "Russland",
    "Russie", "Rusia", "Japon", "Japón", "Giappone", "UK", "England", "Scotland", "Wales", "USA", "U.S.A.",
    "US", "Ungarn", "Hongrie", "Hungría", "Ungheria", "Hongarije", "United Kingdom", "Great Britain",
    "United States", "Vereinigtes Königreich", "Royaume-Uni", "Reino Unido", "Regno Unito",
    "Verenigd Koninkrijk", "Vereinigte Staaten", "États-Unis", "Estados Unidos", "Stati Uniti",
    "Verenigde Staten", "Países Bajos", "Paesi Bassi", "Czech Republic",
)
# fmt: on


@lru_cache(maxsize=1)
def country_names() -> frozenset[str]:
    """Country names and codes (ISO, and the names people write in the seven languages)."""
    import pycountry

    names: set[str] = set()
    for c in pycountry.countries:
        for attr in ("name", "official_name", "common_name", "alpha_2", "alpha_3"):
            value = getattr(c, attr, None)
            if value:
                names.add(value.casefold())
    names |= {n.casefold() for n in LOCAL_COUNTRY_NAMES}
    return frozenset(names)


@dataclass(frozen=True)
class KindTest:
    kind: str
    test: Callable[[pd.Series], pd.Series]
    min_share: float = MIN_SHARE


def _match(pattern: str) -> Callable[[pd.Series], pd.Series]:
    compiled = re.compile(pattern)
    return lambda s: s.str.strip().str.match(compiled).fillna(False).astype(bool)


def _contains(pattern: str) -> Callable[[pd.Series], pd.Series]:
    compiled = re.compile(pattern)
    return lambda s: s.str.contains(compiled).fillna(False).astype(bool)


def _phone(s: pd.Series) -> pd.Series:
    digits = s.str.count(r"\d")
    return _match(PHONE)(s) & digits.between(7, 15)


def _country(s: pd.Series) -> pd.Series:
    return s.str.strip().str.casefold().isin(country_names())


def _boolean(s: pd.Series) -> pd.Series:
    return s.str.strip().str.casefold().isin(BOOLEAN)


def _street(s: pd.Series) -> pd.Series:
    has_number = s.str.contains(r"\d", regex=True)
    return has_number & (
        _contains(STREET)(s)
        | _match(r"^[^\d,]{3,},?\s\d{1,4}\s?[a-zA-Z]?$")(s)
        | _match(r"^\d{1,5}[a-zA-Z]?,?\s[^\d]{3,}$")(s)
    )


def _name_words(s: pd.Series) -> pd.Series:
    text = s.str.strip()
    capital = text.str[0].str.isupper().fillna(False).astype(bool)
    return capital & _match(NAME_WORDS)(text)


def _words(s: pd.Series) -> pd.Series:
    return s.str.strip().str.split().str.len()


TESTS = (
    KindTest("email", _match(EMAIL)),
    KindTest("url", _match(URL)),
    KindTest("datetime", _match(DATE_TIME)),
    KindTest("date", _match(DATE_ONLY)),
    KindTest("boolean", _boolean, 0.95),
    KindTest("country", _country, 0.9),
    KindTest("postal_code", _match(POSTAL), 0.9),
    KindTest("phone", _phone),
    KindTest("number", _match(NUMBER), 0.95),
    KindTest("company", _contains(LEGAL_FORM), 0.3),
    KindTest("street", _street, 0.6),
    KindTest("person_name", _name_words, 0.85),
)


@dataclass(frozen=True)
class KindResult:
    kind: str
    share: float  # share of sampled values that passed the kind's test


def detect_kind(
    sample: pd.Series, distinct_ratio: float, hints: dict[str, float] | None = None
) -> KindResult:
    """The kind of a column from a sample of its non-empty values (as text).

    `hints` (header scores) only break ties that values cannot: five digits are a postal code
    under `PLZ` and an id under `Kundennummer`.
    """
    hints = hints or {}
    values = sample.dropna().astype(str)
    values = values[values.str.strip() != ""]
    if values.empty:
        return KindResult("empty", 0.0)
    for test in TESTS:
        share = float(test.test(values).mean())
        if share < test.min_share:
            continue
        kind = test.kind
        if kind in ("postal_code", "number", "phone") and _looks_like_id(values, distinct_ratio, hints, kind):
            return KindResult("id", share)
        if kind == "person_name":
            words = _words(values)
            kind = "full_name" if float((words >= 2).mean()) >= 0.6 else "person_name"
        return KindResult(kind, share)
    if _looks_like_id(values, distinct_ratio, hints, "text"):
        return KindResult("id", 1.0)
    return KindResult("text", 1.0)


def _looks_like_id(values: pd.Series, distinct_ratio: float, hints: dict[str, float], kind: str) -> bool:
    if hints.get(kind if kind != "number" else "", 0) >= 0.6 or hints.get("postal_code", 0) >= 0.6:
        return False
    if kind == "phone" and hints.get("phone", 0) + hints.get("mobile_phone", 0) >= 0.6:
        return False
    if hints.get("source_key", 0) >= 0.6:
        return not values.str.contains(r"\s").any()
    unique = distinct_ratio >= 0.98 and len(values) >= 3
    return unique and not values.str.contains(r"\s").any() and kind != "phone"
