"""The reference data behind the value checks: e-mail and E.164 shapes, ISO countries, and
postal-code patterns per country.

Postal-code patterns follow the national formats published by the postal operators (as collected
in Google's libaddressinput data and the UPU's addressing guide). Only the shape is checked, not
whether the code is allocated. A row whose country has no pattern here is not judged.
"""

from __future__ import annotations

import functools

#: A practical e-mail shape (HTML5's rule, plus a dotted domain ending in a 2+ letter TLD).
#: Unicode letters are allowed so internationalised addresses pass; the standardiser does the deep
#: check (email-validator), this only catches what must never reach the CRM.
EMAIL_PATTERN = (
    r"[\w!#$%&'*+/=?^`{|}~-]+(?:\.[\w!#$%&'*+/=?^`{|}~-]+)*"
    r"@(?:[^\W_](?:[\w-]{0,61}[^\W_])?\.)+(?:[^\W\d_]{2,63}|xn--[a-z0-9-]{1,59})"
)

#: E.164: a plus, a country code that does not start with 0, at most 15 digits in all.
E164_PATTERN = r"\+[1-9]\d{6,14}"

#: Postal-code pattern per ISO 3166-1 alpha-2 code (matched case-insensitively, whole value).
POSTAL_PATTERNS: dict[str, str] = {
    # Western Europe
    "DE": r"\d{5}",
    "FR": r"\d{2} ?\d{3}",
    "MC": r"980\d{2}",
    "NL": r"\d{4} ?[A-Z]{2}",
    "BE": r"\d{4}",
    "LU": r"(?:L-?)?\d{4}",
    "AT": r"\d{4}",
    "CH": r"\d{4}",
    "LI": r"94(?:8[5-9]|9[0-8])",
    "GB": r"GIR ?0AA|[A-Z]{1,2}\d[A-Z\d]? ?\d[A-Z]{2}",
    "IE": r"[A-Z]\d[\dW] ?[0-9A-Z]{4}",
    "ES": r"\d{5}",
    "AD": r"AD[1-7]0\d",
    "PT": r"\d{4}-\d{3}",
    "IT": r"\d{5}",
    "SM": r"4789\d",
    "VA": r"00120",
    "MT": r"[A-Z]{3} ?\d{2,4}",
    "GR": r"\d{3} ?\d{2}",
    # Nordics
    "DK": r"\d{4}",
    "SE": r"\d{3} ?\d{2}",
    "NO": r"\d{4}",
    "FI": r"\d{5}",
    "IS": r"\d{3}",
    "FO": r"\d{3}",
    # Central and Eastern Europe
    "PL": r"\d{2}-\d{3}",
    "CZ": r"\d{3} ?\d{2}",
    "SK": r"\d{3} ?\d{2}",
    "HU": r"\d{4}",
    "SI": r"\d{4}",
    "HR": r"\d{5}",
    "RO": r"\d{6}",
    "BG": r"\d{4}",
    "EE": r"\d{5}",
    "LV": r"LV-\d{4}",
    "LT": r"(?:LT-)?\d{5}",
    "UA": r"\d{5}",
    "RU": r"\d{6}",
    "TR": r"\d{5}",
    # Americas
    "US": r"\d{5}(?:[ -]\d{4})?",
    "CA": r"[ABCEGHJ-NPRSTVXY]\d[ABCEGHJ-NPRSTV-Z] ?\d[ABCEGHJ-NPRSTV-Z]\d",
    "MX": r"\d{5}",
    "BR": r"\d{5}-?\d{3}",
    "AR": r"(?:[A-HJ-NP-Z]\d{4}[A-Z]{3}|\d{4})",
    "CL": r"\d{7}",
    "CO": r"\d{6}",
    # Asia-Pacific
    "AU": r"\d{4}",
    "NZ": r"\d{4}",
    "JP": r"\d{3}-?\d{4}",
    "IN": r"[1-9]\d{2} ?\d{3}",
    "SG": r"\d{6}",
    "CN": r"\d{6}",
    "KR": r"\d{5}",
    "ZA": r"\d{4}",
}


@functools.cache
def postal_regex() -> str:
    """One alternation over `CC:<code>` strings, so a single GX regex expectation checks all rows."""
    alternatives = "|".join(f"{cc}:(?:{pattern})" for cc, pattern in POSTAL_PATTERNS.items())
    return f"(?i)^(?:{alternatives})$"


@functools.cache
def iso_alpha2_codes() -> tuple[str, ...]:
    """Every officially assigned ISO 3166-1 alpha-2 code, from pycountry."""
    import pycountry

    return tuple(sorted(c.alpha_2 for c in pycountry.countries))
