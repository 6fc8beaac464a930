"""Splitting a full name into first and last name, for mappings with `split:`.

"Müller, Anna" is last-comma-first; otherwise the last name starts at a particle such as
"van", "de" or "von" after the first word ("Ludwig van Beethoven"), else it is the last word.
Finer parsing (titles, suffixes) is the name standardiser's job.
"""

from __future__ import annotations

# fmt: off
PARTICLES = frozenset({
    "al", "ben", "bin", "da", "das", "de", "del", "della", "den", "der", "di", "do", "dos", "du", "el", "la",
    "le", "st", "st.", "ten", "ter", "van", "vom", "von", "zu", "zur",
})
# fmt: on


def split_name(value: str) -> tuple[str | None, str | None]:
    """(first, last) of a full name; a single word is taken as the last name."""
    text = " ".join(value.split())
    if not text:
        return None, None
    if "," in text:
        last, _, first = text.partition(",")
        return (first.strip() or None), (last.strip() or None)
    words = text.split(" ")
    if len(words) == 1:
        return None, words[0]
    for i in range(1, len(words) - 1):
        if words[i].lower() in PARTICLES:
            return " ".join(words[:i]), " ".join(words[i:])
    return " ".join(words[:-1]), words[-1]
