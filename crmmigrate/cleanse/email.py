"""Email addresses: syntax checked with email-validator (no DNS), placeholders treated as missing,
role accounts flagged.

A value is `fixed` only into the same mailbox: `mailto:`, a display name, brackets or quotes
around it and surrounding white space taken off, the address in email-validator's normal form
(domain in lower case, IDNA as Unicode, local part NFC), and known misspellings of popular
domains repaired (`fix_email_typos`). Everything else email-validator refuses is `invalid`, the
raw value kept: `.jane@x.com` is not `jane@x.com`, `a b@x.com` is not `b@x.com`.

email-validator runs with its defaults (quoted local parts, domain literals and special-use
domains refused) plus display names, and RFC 5321's 64-character limit on the local part
(`strict`). Most addresses are plain ASCII that it would accept unchanged; a regular expression
that accepts a subset of those answers without calling it, with the same verdict.
"""

from __future__ import annotations

import functools
import re
import urllib.parse

import pandas as pd
from email_validator import SPECIAL_USE_DOMAIN_NAMES, EmailNotValidError, validate_email
from email_validator.rfc_constants import (
    ATEXT_RE,
    CASE_INSENSITIVE_MAILBOX_NAMES,
    DOMAIN_MAX_LENGTH,
    EMAIL_MAX_LENGTH,
    LOCAL_PART_MAX_LENGTH,
)
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
#: Real mail services one edit away from a popular domain: never "fixed" into it (email.com is
#: not a typo of gmail.com).
REAL_NEIGHBOURS = frozenset(
    [
        "mail.com",
        "email.com",
        "ymail.com",
        "gmx.com",
        "gmx.at",
        "gmx.ch",
        "live.de",
        "live.fr",
        "live.nl",
        "live.ca",
        "mail.de",
        "email.de",
        "web.com",
        "free.com",
        "mac.com",
        "aim.com",
        "ovi.com",
        "inbox.ru",
        "list.ru",
        "bk.ru",
        "yahoo.de",
        "yahoo.es",
        "yahoo.it",
        "yahoo.ca",
        "hotmail.es",
        "hotmail.it",
        "outlook.fr",
        "outlook.es",
    ]
)
#: Misspellings of `.com` and `.net` that are not top-level domains (`.cm`, Cameroon's, is one).
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
    "nte": "net",
    "ner": "net",
    "nett": "net",
}

#: Plain ASCII addresses that email-validator accepts as they are, with the same normal form
#: (checked without it, for speed): a dot-atom local part of at most 64 characters (RFC 5321, the
#: library's `strict`) at hostname labels with no `--` (Punycode and reserved R-LDH labels go to the
#: library), a dot and a top-level domain of letters, not a special-use domain; lengths and RFC 2142
#: mailbox names are checked beside them. Anything else goes to email-validator.
_FAST_LOCAL = re.compile(r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*")
_FAST_DOMAIN = re.compile(r"(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}")
_ASCII_DOMAIN = re.compile(r"[a-z0-9.-]+")
_MAILTO = re.compile(r"mailto:", re.IGNORECASE)
#: Pairs that may wrap a whole address without changing it ("brackets").
_WRAPPERS = {"<": ">", "(": ")", "[": "]", '"': '"', "'": "'"}
_UNQUOTED_NAME = re.compile(r"([^\"<>@\\]*?)\s*(<[^<>]*>)")
_RESERVED = frozenset(SPECIAL_USE_DOMAIN_NAMES)
_RESERVED_SUFFIXES = tuple("." + d for d in SPECIAL_USE_DOMAIN_NAMES)
_CASE_BLIND_LOCALS = frozenset(CASE_INSENSITIVE_MAILBOX_NAMES)


def extract_address(text: str) -> str:
    """The address alone, with only what provably leaves the mailbox as it is taken off.

    Surrounding white space, a `mailto:` URI's scheme and query (`?subject=...`, percent-escapes
    decoded) and a pair of quotes or brackets around the whole value. A display name
    (`Jane <jane@example.com>`) is left for email-validator, whose RFC 5322 rules decide it
    (see `_quote_display_name`). Nothing inside the address is cut: `a b@x.com` is not `b@x.com`.
    """
    text = text.strip()
    if _MAILTO.match(text):
        text = urllib.parse.unquote(text[7:].split("?", 1)[0]).strip()
    if len(text) > 2 and _WRAPPERS.get(text[0]) == text[-1] and text[0] != "<":
        text = text[1:-1].strip()
    return _quote_display_name(text) if "<" in text else text


def _quote_display_name(text: str) -> str:
    """`Jörg Müller <jm@x.de>` as `"Jörg Müller" <jm@x.de>`: RFC 6532 lets a display name hold
    non-ASCII text unquoted, where email-validator reads only ASCII; the quoted name means the same
    to it. Only names of atom characters and spaces are quoted (a `.`, `,` or `(` still refuses)."""
    match = _UNQUOTED_NAME.fullmatch(text)
    if match is None:
        return text
    name, address = match.groups()
    if name.isascii() or any(c.isascii() and c != " " and (c == "." or not ATEXT_RE.match(c)) for c in name):
        return text
    return f'"{name}" {address}'


@functools.lru_cache(maxsize=100_000)
def fix_domain(domain: str) -> str:
    """A known misspelling of a popular domain (gmial.com) or of `.com`/`.net` repaired.

    One edit from a popular domain at the same top-level domain counts as its misspelling when
    the domain is not itself a real mail service; for short names (web, live) only two letters
    swapped counts, as most one-letter changes of a three-letter name are other real domains.
    """
    name, dot, tld = domain.rpartition(".")
    if dot and tld in TLD_TYPOS:
        domain = f"{name}.{TLD_TYPOS[tld]}"
    if domain in POPULAR_DOMAINS or domain in REAL_NEIGHBOURS or len(domain) < 6:
        return domain
    close = [d for d in POPULAR_DOMAINS if _misspelt(domain, d)]
    if len(close) == 1:
        return close[0]
    for popular in POPULAR_DOMAINS:  # gmail.co -> gmail.com
        if popular.endswith(".com") and domain == popular[:-1]:
            return popular
    return domain


def _misspelt(domain: str, popular: str) -> bool:
    if domain.rsplit(".", 1)[-1] != popular.rsplit(".", 1)[-1]:
        return False
    if DamerauLevenshtein.distance(domain, popular, score_cutoff=1) > 1:
        return False
    return len(popular.split(".", 1)[0]) >= 5 or sorted(domain) == sorted(popular)


def standardise_email(value: str | None, fix_typos: bool = True) -> tuple[str | None, str, bool]:
    """(address, status, is_role) for one value.

    `fixed` only when the address is the same mailbox as the value: wrappers taken off (see
    `extract_address`), the domain in its normal form (lower case, Unicode for IDNA), the local
    part NFC-normalised, or (with `fix_typos`) a known domain misspelling repaired. Anything
    email-validator refuses is `invalid`, the raw value kept.
    """
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
    checked = _check(extract_address(value))
    if checked is None:
        return None
    local, domain = checked
    if fix_typos and _ASCII_DOMAIN.fullmatch(domain):
        domain = fix_domain(domain)
    return f"{local}@{domain}"


def _check(text: str) -> tuple[str, str] | None:
    """(local part, domain) in email-validator's normal form, or None when it refuses the address."""
    local, at, domain = text.rpartition("@")
    if (
        at
        and len(local) <= LOCAL_PART_MAX_LENGTH
        and len(text) <= EMAIL_MAX_LENGTH
        and _FAST_LOCAL.fullmatch(local)
    ):
        plain = _plain_domain(domain)
        if plain is not None:
            return (local.lower() if local.lower() in _CASE_BLIND_LOCALS else local), plain
    try:
        checked = validate_email(text, check_deliverability=False, allow_display_name=True, strict=True)
    except EmailNotValidError:
        return None
    return checked.local_part, checked.domain


@functools.lru_cache(maxsize=100_000)
def _plain_domain(domain: str) -> str | None:
    """The domain in lower case when email-validator would accept it as it is (see `_FAST_LOCAL`)."""
    lowered = domain.lower()
    if (
        domain.isascii()  # str.lower() turns a few non-ASCII letters (the Kelvin sign) into ASCII
        and len(lowered) <= DOMAIN_MAX_LENGTH
        and _FAST_DOMAIN.fullmatch(lowered)
        and "--" not in lowered
        and lowered not in _RESERVED
        and not lowered.endswith(_RESERVED_SUFFIXES)
    ):
        return lowered
    return None


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
