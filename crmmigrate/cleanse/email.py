"""Email addresses: syntax checked with email-validator (no DNS), domain lower-cased, common domain
typos fixed, `mailto:` and display names stripped, placeholders treated as missing, role
accounts flagged.

Most addresses are plain ASCII; a strict regular expression accepts those without calling
email-validator, which only sees the rest.
"""

from __future__ import annotations

import functools
import re

import pandas as pd
from email_validator import EmailNotValidError, validate_email
from rapidfuzz.distance import DamerauLevenshtein

from ..schema import Status
from .text import PLACEHOLDERS as COMMON_PLACEHOLDERS
from .text import as_list

COLUMNS = ["value", "status", "role"]

PLACEHOLDERS = COMMON_PLACEHOLDERS | frozenset(
    ["noemail", "no-email", "no", "email", "nomail", "kein", "x", "xx", "no email", "not available"]
)

PLACEHOLDER_LOCALS = frozenset(
    [
        "noemail",
        "no-email",
        "no_email",
        "no.email",
        "nomail",
        "none",
        "null",
        "nobody",
        "noone",
        "dummy",
        "fake",
        "unknown",
        "na",
    ]
)
ROLE_LOCALS = frozenset(
    [
        "info",
        "sales",
        "admin",
        "administrator",
        "support",
        "contact",
        "office",
        "hello",
        "enquiries",
        "enquiry",
        "inquiries",
        "inquiry",
        "service",
        "help",
        "billing",
        "accounts",
        "accounting",
        "finance",
        "marketing",
        "team",
        "mail",
        "webmaster",
        "postmaster",
        "hostmaster",
        "noreply",
        "no-reply",
        "donotreply",
        "kontakt",
        "buero",
        "buro",
        "verkauf",
        "vertrieb",
        "jobs",
        "careers",
        "hr",
        "press",
        "media",
        "reception",
        "booking",
        "bookings",
        "orders",
        "order",
        "shop",
        "customerservice",
        "kundenservice",
        "service-client",
        "contacto",
        "ventas",
        "hola",
        "ciao",
        "abuse",
        "security",
        "legal",
        "privacy",
        "feedback",
        "newsletter",
        "it",
        "helpdesk",
        "purchasing",
        "procurement",
        "invoices",
    ]
)
#: Free-mail domains whose near misses are typos (gmial.com -> gmail.com).
POPULAR_DOMAINS = [
    "gmail.com",
    "googlemail.com",
    "yahoo.com",
    "hotmail.com",
    "outlook.com",
    "live.com",
    "msn.com",
    "icloud.com",
    "me.com",
    "aol.com",
    "gmx.de",
    "gmx.net",
    "web.de",
    "t-online.de",
    "orange.fr",
    "free.fr",
    "laposte.net",
    "wanadoo.fr",
    "libero.it",
    "yandex.ru",
    "mail.ru",
    "comcast.net",
    "verizon.net",
    "protonmail.com",
    "btinternet.com",
    "bigpond.com",
    "hotmail.co.uk",
    "yahoo.co.uk",
    "hotmail.fr",
    "yahoo.fr",
    "hotmail.de",
    "outlook.de",
]
TLD_TYPOS = {
    "con": "com",
    "cmo": "com",
    "ocm": "com",
    "cpm": "com",
    "vom": "com",
    "xom": "com",
    "comm": "com",
    "coom": "com",
    "c0m": "com",
    "cm": "com",
    "nte": "net",
    "ner": "net",
    "nett": "net",
}

_FAST = re.compile(
    r"^[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*@"
    r"(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$"
)
_ANGLE = re.compile(r"<([^<>]*@[^<>]*)>")
_MAILTO = re.compile(r"^mailto:", re.IGNORECASE)
_LIST = re.compile(r"[\s;,]+")


def extract_address(text: str) -> str:
    """The address alone: display names, `mailto:`, query strings, list separators and stray quotes off."""
    angle = _ANGLE.search(text)
    if angle:
        text = angle.group(1)
    text = _MAILTO.sub("", text.strip()).split("?", 1)[0]
    candidates = [c for c in _LIST.split(text) if "@" in c]
    if candidates:
        text = candidates[0]
    return text.strip(" \"'()[]<>.,;:")


@functools.lru_cache(maxsize=100_000)
def fix_domain(domain: str) -> str:
    """Common typos of popular domains and of `.com`/`.net` repaired; other domains left alone."""
    name, dot, tld = domain.rpartition(".")
    if dot and tld in TLD_TYPOS:
        domain = f"{name}.{TLD_TYPOS[tld]}"
    if domain in POPULAR_DOMAINS or len(domain) < 7:
        return domain
    close = [d for d in POPULAR_DOMAINS if DamerauLevenshtein.distance(domain, d, score_cutoff=1) <= 1]
    if len(close) == 1 and close[0].rsplit(".", 1)[-1] == domain.rsplit(".", 1)[-1]:
        return close[0]
    for popular in POPULAR_DOMAINS:  # gmail.co -> gmail.com
        if popular.endswith(".com") and domain == popular[:-1]:
            return popular
    return domain


def standardise_email(value: str | None, fix_typos: bool = True) -> tuple[str | None, str, bool]:
    """(address, status, is_role) for one value."""
    if value is None or value.strip().lower() in PLACEHOLDERS:
        return None, Status.MISSING.value, False
    try:
        address = _normalise(value, fix_typos)
    except Exception:  # email-validator on adversarial input: never stop the run
        address = None
    if address is None:
        return None, Status.INVALID.value, False
    local = address.rsplit("@", 1)[0].lower()
    if local in PLACEHOLDER_LOCALS:
        return None, Status.MISSING.value, False
    status = Status.VALID.value if address == value else Status.FIXED.value
    return address, status, local.split("+", 1)[0] in ROLE_LOCALS


def _normalise(value: str, fix_typos: bool) -> str | None:
    text = extract_address(value)
    local, at, domain = text.rpartition("@")
    if not at or not local:
        return None
    domain = domain.lower().strip(".")
    if fix_typos:
        domain = fix_domain(domain)
    address = f"{local}@{domain}"
    if len(local) > 64 or len(address) > 254:  # RFC 5321 limits, which email-validator lets pass
        return None
    if _FAST.match(address) and ".." not in domain:
        return address
    try:
        checked = validate_email(address, check_deliverability=False)
    except EmailNotValidError:
        return None
    return f"{checked.local_part}@{checked.domain.lower()}"


def standardise_emails(values: pd.Series, fix_typos: bool = True) -> pd.DataFrame:
    """Columns value/status/role, once per distinct value."""
    cache: dict[str | None, tuple] = {}
    out = []
    for key in as_list(values):
        result = cache.get(key)
        if result is None:
            result = cache[key] = standardise_email(key, fix_typos)
        out.append(result)
    return pd.DataFrame(out, columns=COLUMNS, index=values.index)
