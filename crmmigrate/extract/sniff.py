"""Guessing the delimiter of a delimited text export from a sample of its first records."""

from __future__ import annotations

import csv
import io
from collections import Counter

CANDIDATES = (",", ";", "\t", "|")
SAMPLE_RECORDS = 200


def _field_counts(sample: str, delimiter: str) -> list[int]:
    lines = sample.splitlines(keepends=True)
    if len(lines) > 1 and not sample.endswith(("\n", "\r")):
        lines = lines[:-1]  # the last line of a sample may be cut off
    reader = csv.reader(io.StringIO("".join(lines)), delimiter=delimiter)
    counts = []
    try:
        for record in reader:
            if record:
                counts.append(len(record))
            if len(counts) >= SAMPLE_RECORDS:
                break
    except csv.Error:
        pass
    return counts


def sniff_delimiter(sample: str) -> str:
    """The candidate that splits the header into most fields consistently across records.

    A delimiter scores by the share of records with the header's field count; ties go to the
    one giving more fields, then to the order `,` `;` tab `|`. One column files get `,`.
    """
    best, best_score = ",", (0.0, 1)
    for delimiter in CANDIDATES:
        counts = _field_counts(sample, delimiter)
        if not counts or counts[0] < 2:
            continue
        width = counts[0]
        body = counts[1:] or counts
        consistent = Counter(body)[width] / len(body)
        score = (round(consistent, 2), width)
        if score > best_score:
            best, best_score = delimiter, score
    return best
