"""Telling a text export from a binary file given the wrong name (a zipped export saved as
.csv, an old .xls, a database file), so the user gets one clear message instead of a header of
garbage and a list of "missing" columns.
"""

from __future__ import annotations

from pathlib import Path

from ..errors import InputError

SAMPLE = 1 << 16
#: Leading bytes of files people mistake for exports, and what to do about each.
MAGIC = (
    (b"PK\x03\x04", "a ZIP archive (or an .xlsx workbook)", "unzip it, or set `format: xlsx` for a workbook"),
    (b"\xd0\xcf\x11\xe0", "an old Excel .xls (or other OLE) file", "save it as .xlsx or .csv"),
    (b"\x1f\x8b", "a gzip archive", "decompress it first"),
    (b"%PDF", "a PDF document", "export the data as CSV, Excel or JSON"),
    (b"SQLite format 3\x00", "an SQLite database", "read a table with `path: sqlite:///FILE` and `table:`"),
    (b"PAR1", "a Parquet file", "set `format: parquet` or name it .parquet"),
)
#: Bytes that never occur in a text export: C0 controls other than tab, LF, FF, CR and SUB (the
#: end-of-file mark of DOS tools).
CONTROL = frozenset(range(32)) - frozenset(b"\t\n\x0c\r\x1a")
MAX_CONTROL_SHARE = 0.05


def binary_problem(head: bytes) -> tuple[str, str] | None:
    """(what the file looks like, a hint) when `head` is not the start of a text file."""
    for magic, what, hint in MAGIC:
        if head.startswith(magic):
            return f"this is {what}, not a text export", hint
    if not head:
        return None
    controls = sum(head.count(bytes([b])) for b in CONTROL)
    first_line = head[: head.find(b"\n") if b"\n" in head else 4096][:4096]
    in_header = any(b in CONTROL for b in first_line)
    # a text export with a few NULs in its values still has a clean header line
    if controls / len(head) > MAX_CONTROL_SHARE and in_header:
        share = 100 * controls / len(head)
        return (
            f"this is binary data, not a text export ({share:.0f}% of its first bytes are control codes)",
            "check that the path names the export itself; set `encoding:` if it is UTF-16 or UTF-32 text",
        )
    return None


def check_text_file(path: Path, encoding: str) -> None:
    """Raise InputError when a file meant to be read as 8-bit or UTF-8 text is binary."""
    if encoding.replace("_", "-").lower().startswith(("utf-16", "utf-32")):
        return
    with path.open("rb") as fh:
        head = fh.read(SAMPLE)
    found = binary_problem(head)
    if found:
        what, hint = found
        raise InputError(what, file=str(path), hint=hint)
