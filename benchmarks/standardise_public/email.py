"""Emails: email-validator's own syntax tests, through the real stage, scored against its verdicts.

Cases: every line of `emails_email_validator.jsonl` (the inputs of the library's
`tests/test_syntax.py` with its verdicts) is one staged row whose `email` is the input as written.
The stage runs with its defaults (typo fixing on, no DNS).

Which verdict applies. The corpus gives the library's verdict under the options each test used
(`expected_valid`, `options`) and, where they differ, under its defaults (`default_valid`). A CRM
takes the defaults, with these exceptions, none of which can change the mailbox:

- surrounding whitespace (spaces, tabs, CR/LF) is formatting of the cell, not part of the
  address: the stage's text hygiene strips it from every field (RFC 5322 also lets an address be
  surrounded by folding white space without changing it);
- a display name and angle brackets (`Jane <jane@example.com>`) are taken off, as the library does
  with `allow_display_name=True` (its rules for what a display name may hold included, except
  that a name with non-ASCII letters may stand unquoted, `Jörg Müller <jm@example.de>`, as RFC
  6532 allows and the library, which reads only ASCII there, accepts once it is quoted; the
  corpus has no such case);
- a `mailto:` in front of the address (and its `?subject=...` part) is taken off, and so is a pair
  of quotes or brackets around the whole value (`"jane@example.com"`, `(jane@example.com)`): read
  as written, such a value holds no address at all, so the one inside is the only mailbox it can
  mean (the corpus has no such case);

and one that is stricter: a local part over 64 characters is invalid (RFC 5321, the library's
`strict=True`), as many mail servers and CRMs refuse it. Quoted local parts, domain literals
(`[127.0.0.1]`) and special-use domains stay invalid, as by default.

So the reference for a case is email-validator's verdict and normalised form for the input with
surrounding whitespace, a `mailto:` prefix and wrapping quotes or brackets taken off, under
`allow_display_name=True, strict=True, check_deliverability=False` (the library run here, the
version the project installs).
That reference agrees with the corpus's own verdicts wherever the corpus's options are ours; the
line `as written` also scores against `expected_valid` exactly as the corpus writes it (under each
test's own options, whitespace invalid).

Scoring: a case is right when the stage's status is `valid` or `fixed` exactly when the reference
accepts the input, and then the stage's `email` is the reference's normalised form (domain compared
case-blind). Reported overall and per test group of the library. Counted separately, the
mailbox-changing fixes: status `fixed` with a value that is not the reference's normalised form (or
for an input the reference refuses, so that there was no mailbox to keep): the target is 0. A repair
of a misspelt popular domain (`gmial.com`, the `fix_email_typos` option, on by default) is a
disagreement but counted apart from them: it is a fix the stage offers on purpose, recognised as
the difference between the stage run with and without the option.

Speed: the stage's milliseconds per 1,000 values on the corpus (273 rows: mostly the stage's fixed
cost), and on 100,000 generated ordinary addresses (seeded; names, initials, digits, dots, plus
tags; 5 % in upper case, 3 % with accented or non-Latin names, 1 % at an accented domain), scored
the same way.
"""

from __future__ import annotations

import random
import re
from collections import defaultdict
from pathlib import Path
from typing import Any

import idna
from email_validator import EmailNotValidError, validate_email
from email_validator.rfc_constants import ATEXT_RE

from .common import Result, read_jsonl, run_stage, staged

CORPUS = "emails_email_validator.jsonl"
OK = ("valid", "fixed")
ONLY_EMAILS = {"phone": False, "country": False, "address": False, "name": False, "date": False}
GENERATED = 100_000
WRAPPERS = {"(": ")", "[": "]", '"': '"', "'": "'"}


def reference(text: str) -> str | None:
    """The library's normalised address under the CRM's options (see the module docstring), or None."""
    text = text.strip()
    if text[:7].lower() == "mailto:":
        text = text[7:].split("?", 1)[0]
    if len(text) > 2 and WRAPPERS.get(text[0]) == text[-1]:
        text = text[1:-1].strip()
    named = re.fullmatch(r'([^"<>@\\]*?)\s*(<[^<>]*>)', text)
    if named and not named[1].isascii() and all(_name_char(c) for c in named[1]):
        text = f'"{named[1]}" {named[2]}'
    try:
        checked = validate_email(text, check_deliverability=False, allow_display_name=True, strict=True)
    except EmailNotValidError:
        return None
    return checked.normalized


def _name_char(char: str) -> bool:
    """What RFC 6532 lets an unquoted display name hold: atom characters (no `.`), spaces, non-ASCII."""
    return not char.isascii() or char == " " or (char != "." and ATEXT_RE.match(char) is not None)


def _same(ours: Any, theirs: str) -> bool:
    """The same mailbox: the same local part at the same domain (case-blind, Unicode or IDNA)."""
    if not isinstance(ours, str):
        return False
    local, _, domain = ours.rpartition("@")
    their_local, _, their_domain = theirs.rpartition("@")
    return local == their_local and _domain_key(domain) == _domain_key(their_domain)


def _domain_key(domain: str) -> str:
    try:
        return idna.encode(domain, uts46=True).decode("ascii")
    except idna.IDNAError:
        return domain.casefold()


def _agrees(status: str, value: Any, expected: str | None) -> bool:
    if expected is None:
        return status not in OK
    return status in OK and _same(value, expected)


def _as_written(case: dict[str, Any]) -> str | None:
    """The corpus's verdict under the test's own options: its normalised form, or None when invalid."""
    if not case["expected_valid"]:
        return None
    return case["normalized"] or case["input"]


def _ordinary(n: int, seed: int = 13) -> list[str]:
    """Addresses as a CRM holds them: nearly all distinct and plain ASCII, a few in upper case, a
    few with accented or non-Latin names or domains."""
    rng = random.Random(seed)
    first = ["anna", "john", "maria", "li", "ahmed", "sophie", "peter", "lucia", "kenji", "olga", "sam"]
    last = ["smith", "garcia", "nguyen", "schmidt", "oneil", "van-dijk", "rossi", "kowalski", "tanaka"]
    accented = ["jörg", "zoë", "müller", "søren", "иван", "françois"]
    domains = [
        "gmail.com",
        "yahoo.co.uk",
        "outlook.com",
        "web.de",
        "acme-corp.com",
        "mail.example.org",
        "uni-heidelberg.de",
        "orange.fr",
        "sub.dept.bigcorp.co.jp",
    ]
    out = []
    for i in range(n):
        given, family = rng.choice(first), rng.choice(last)
        if rng.random() < 0.03:
            given = rng.choice(accented)
        local = rng.choice(
            [
                f"{given}.{family}",
                f"{given[0]}{family}",
                f"{given}.{family}{i}",
                f"{given}_{family}{i % 97}",
                f"{given}+news{i}",
                f"{family}.{given}{i % 1000}",
            ]
        )
        domain = rng.choice(domains)
        if rng.random() < 0.05:
            local, domain = local.capitalize(), domain.upper()
        elif rng.random() < 0.01:
            domain = "müller-bau.de"
        out.append(f"{local}@{domain}")
    return out


def measure(data: Path) -> list[Result]:
    cases = read_jsonl(data / CORPUS)
    rows = staged([{"email": c["input"]} for c in cases])
    clean, ms = run_stage(rows, **ONLY_EMAILS)
    untypoed, _ = run_stage(rows, fix_email_typos=False, **ONLY_EMAILS)
    groups: dict[str, list[bool]] = defaultdict(list)
    written: list[bool] = []
    fixed = changed = typos = 0
    for case, value, status, plain in zip(
        cases, clean["email"], clean["email_status"], untypoed["email"], strict=True
    ):
        expected = reference(case["input"])
        right = _agrees(status, value, expected)
        groups["all"].append(right)
        groups[case["test"].removeprefix("test_")].append(right)
        written.append(_agrees(status, value, _as_written(case)))
        if status == "fixed":
            fixed += 1
            if expected is not None and not _same(value, expected) and _same(plain, expected):
                typos += 1  # a misspelt popular domain repaired (fix_email_typos)
            else:
                changed += expected is None or not _same(value, expected)
    results = [
        Result("email", name, len(rights), sum(rights), ms if name == "all" else None)
        for name, rights in groups.items()
    ]
    results.append(
        Result(
            "email", "as written (each test's options)", len(written), sum(written), note="corpus verdicts"
        )
    )
    results.append(
        Result(
            "email",
            "fixes keeping the mailbox",
            fixed - typos,
            fixed - typos - changed,
            note=f"{changed} mailbox-changing; {typos} domain typos repaired besides (fix_email_typos)",
        )
    )
    ordinary = _ordinary(GENERATED)
    clean, ms = run_stage(staged([{"email": e} for e in ordinary]), **ONLY_EMAILS)
    rights = [
        _agrees(s, v, reference(e))
        for e, v, s in zip(ordinary, clean["email"], clean["email_status"], strict=True)
    ]
    results.append(
        Result("email", f"ordinary addresses ({GENERATED:,} generated)", len(rights), sum(rights), ms)
    )
    return results
