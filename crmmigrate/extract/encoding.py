"""Guessing the text encoding of a legacy export, cheapest evidence first.

Order: a byte-order mark; UTF-16 without a BOM (every other byte NUL); then the first block that
holds non-ASCII bytes is tried as strict UTF-8; if that fails it is cp1252 (the Windows code page
that most Western European exports use), or latin-1 when it holds bytes cp1252 leaves undefined.
A file that is mostly valid UTF-8 with a few broken lines stays UTF-8: those lines become
`encoding` rejects instead of turning every accented letter of the file into mojibake.
charset-normalizer is asked only when none of these fit (e.g. a Cyrillic or Greek code page).
"""

from __future__ import annotations

import codecs
from pathlib import Path

BLOCK = 1 << 20  # bytes looked at per step
BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
CP1252_UNDEFINED = frozenset(b"\x81\x8d\x8f\x90\x9d")


def bom_encoding(head: bytes) -> str | None:
    for bom, name in BOMS:
        if head.startswith(bom):
            return name
    return None


def _utf16_without_bom(head: bytes) -> str | None:
    sample = head[:4096]
    if len(sample) < 4:
        return None
    even, odd = sample[0::2], sample[1::2]
    if odd.count(0) > 0.4 * len(odd) and even.count(0) < 0.05 * len(even):
        return "utf-16-le"
    if even.count(0) > 0.4 * len(even) and odd.count(0) < 0.05 * len(odd):
        return "utf-16-be"
    return None


def _first_non_ascii_block(path: Path, head: bytes) -> bytes | None:
    """The first block of the file holding a non-ASCII byte (scans on only while all is ASCII)."""
    if not head.isascii():
        return head
    with path.open("rb") as fh:
        fh.seek(len(head))
        while block := fh.read(BLOCK * 8):
            if not block.isascii():
                start = next(i for i, b in enumerate(block) if b > 0x7F)
                return block[max(0, start - 64) : start + BLOCK]
    return None


def _judge_utf8(block: bytes) -> bool:
    """True when the block reads as UTF-8 (a cut-off sequence at its end is forgiven).

    When it does not decode strictly, the share of valid multi-byte characters among all
    non-ASCII characters decides: a UTF-8 file with a few corrupt lines is still UTF-8
    (cp1252 text almost never forms valid multi-byte sequences by chance).
    """
    try:
        codecs.getincrementaldecoder("utf-8")().decode(block, final=False)
        return True
    except UnicodeDecodeError:
        pass
    text = block.decode("utf-8", errors="replace")
    bad = text.count("\ufffd")
    good = sum(1 for ch in text if ord(ch) > 0x7F and ch != "\ufffd")
    return good > 0 and good >= bad


def _legacy_codepage(block: bytes) -> str:
    if not CP1252_UNDEFINED.intersection(block):
        return "cp1252"
    try:
        from charset_normalizer import from_bytes

        best = from_bytes(block[: 1 << 16]).best()
        if best is not None and best.encoding not in ("utf_8", "ascii"):
            return best.encoding
    except Exception:  # a guess only; fall back to the code page that decodes every byte
        pass
    return "latin-1"


def detect_encoding(path: str | Path) -> str:
    """The encoding a text export is best read with (a Python codec name)."""
    path = Path(path)
    with path.open("rb") as fh:
        head = fh.read(BLOCK)
    found = bom_encoding(head) or _utf16_without_bom(head)
    if found:
        return found
    block = _first_non_ascii_block(path, head)
    if block is None or _judge_utf8(block):
        return "utf-8"
    return _legacy_codepage(block)


def _utf32_without_bom(head: bytes) -> str | None:
    sample = head[: 4096 - 4096 % 4]
    if len(sample) < 8:
        return None
    lanes = [sample[i::4] for i in range(4)]
    zero = [lane.count(0) / len(lane) for lane in lanes]
    if min(zero[1:]) > 0.9 and zero[0] < 0.05:
        return "utf-32-le"
    if min(zero[:3]) > 0.9 and zero[3] < 0.05:
        return "utf-32-be"
    return None


def python_codec(name: str) -> str:
    """A canonical codec name (`latin1` -> `iso8859-1`); raises LookupError for unknown ones and for
    codecs that are not text encodings (`rot13`, `base64`)."""
    info = codecs.lookup(name)
    if not getattr(info, "_is_text_encoding", True):
        raise LookupError(f"{name!r} is not a text encoding")
    return info.name


def with_byte_order(path: str | Path, codec: str) -> str:
    """`utf-16`/`utf-32` as configured, for a file without a byte-order mark: the byte order its
    NUL bytes show (Python refuses to guess); the codec unchanged otherwise. Raises ValueError when
    neither order fits."""
    if codec not in ("utf-16", "utf-32"):
        return codec
    with Path(path).open("rb") as fh:
        head = fh.read(4096)
    if not head or bom_encoding(head) in (codec, "utf-8-sig"):
        return codec
    found = _utf16_without_bom(head) if codec == "utf-16" else _utf32_without_bom(head)
    if found is None:
        raise ValueError(f"the file has no byte-order mark and does not read as {codec} either way")
    return found
