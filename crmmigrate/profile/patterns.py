"""Value shapes (`Aa+ 99999`) and masking of a person's data for printing.

Letters collapse to runs (`A` one capital, `a+` several small letters) because their count says
little; digits are kept one per digit up to five, because their count is the point (a postal
code, a house number), and longer runs read `9{11}`.
"""

from __future__ import annotations

MAX_PATTERN = 40


def _char_class(ch: str) -> str:
    if ch.isdigit():
        return "9"
    if ch.isalpha():
        return "A" if ch.isupper() else "a"
    if ch.isspace():
        return " "
    return ch


def value_pattern(value: str) -> str:
    out: list[str] = []
    runs: list[tuple[str, int]] = []
    for ch in value:
        cls = _char_class(ch)
        if runs and runs[-1][0] == cls and cls in "Aa9 ":
            runs[-1] = (cls, runs[-1][1] + 1)
        else:
            runs.append((cls, 1))
    for cls, n in runs:
        if cls in "Aa":
            out.append(cls + ("+" if n > 1 else ""))
        elif cls == "9":
            out.append("9" * n if n <= 5 else f"9{{{n}}}")
        elif cls == " ":
            out.append(" ")
        else:
            out.append(cls * n)
    text = "".join(out)
    return text if len(text) <= MAX_PATTERN else text[: MAX_PATTERN - 1] + "…"


def mask(value: str) -> str:
    """`Müller` -> `M•••••`, `anna@example.com` -> `a•••@example.com`: enough to see the shape."""
    if "@" in value:
        local, _, domain = value.partition("@")
        return (local[:1] + "•" * max(len(local) - 1, 1)) + "@" + domain
    keep = 1 if len(value) < 8 else 2
    return value[:keep] + "".join("•" if ch.isalnum() else ch for ch in value[keep:])
