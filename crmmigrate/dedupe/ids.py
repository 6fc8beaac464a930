"""Stable customer ids: derived from a cluster's members, so reruns give the same ids.

`customer_id = "C" + sha1(smallest member identity)[:16]`, where a member's identity is
`source|source_key`. A row without a legacy key is known by what it says, never by where it
stands in the file: `source|~<digest of its own values>` (see `content_ids`), so a re-export that
is reordered or has a row added at the top moves no id to another person. Existing customers (the
store's cross-reference) keep their ids: a cluster holding a known member takes that id.
"""

from __future__ import annotations

import hashlib

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from .. import schema
from .prepare import text_column

#: What a keyless row is known by: what it says about the customer, not when it was exported.
CONTENT_FIELDS = tuple(f for f in schema.FIELDS if f not in ("created_at", "updated_at"))
CONTENT_MARK = "~"
#: A column of each keyless row's `content_digests`, made where its values were (an engine that
#: keeps the `_raw` twins elsewhere sends this instead); None where a row's digest is not given.
CONTENT_DIGEST = "_content_digest"


def has_content(frame: pd.DataFrame) -> bool:
    return CONTENT_DIGEST in frame.columns or any(
        f in frame.columns or f"{f}_raw" in frame.columns for f in CONTENT_FIELDS
    )


def content_ids(frame: pd.DataFrame) -> pd.Series:
    """`~<digest>` of each row's own values, as the source gave them (the `_raw` twins of a clean
    frame, the values of a staged one), compared without case or extra spaces. Rows of one source
    with the same values are told apart by their order among themselves: `~<digest>`,
    `~<digest>.2`, ... (they are the same record exported twice; which is which does not matter).
    Where the frame's CONTENT_DIGEST column gives a row's digest, that is taken as it is."""
    if not len(frame):
        return pd.Series([], index=frame.index, dtype=object)
    digest = content_digests(frame)
    out = (CONTENT_MARK + digest).astype(object)
    source = text_column(frame, "source").fillna("")
    repeated = (source + "|" + digest).duplicated(keep=False).to_numpy()
    if repeated.any():  # the same values twice in one source: number them in file order
        rows = pd.to_numeric(frame["source_row"], errors="coerce") if "source_row" in frame.columns else 0
        order = pd.DataFrame({"source": source, "digest": digest, "row": rows})[repeated]
        order = order.sort_values(["source", "digest", "row"], kind="stable")
        nth = order.groupby(["source", "digest"], sort=False).cumcount()
        later = nth[nth > 0]
        out[later.index] = out[later.index] + "." + (later + 1).astype(str)
    return out


def content_digests(frame: pd.DataFrame) -> pd.Series:
    """The digest of each row's own values (`content_ids` without the mark and the numbering of
    repeats): a row's alone, so it can be made wherever the row's values are. Taken from the
    CONTENT_DIGEST column where that gives it."""
    given = frame[CONTENT_DIGEST].astype(object).rename(None) if CONTENT_DIGEST in frame.columns else None
    if given is None or given.isna().all():
        return _digests(frame)
    missing = given.isna().to_numpy()
    if missing.any():
        given = given.copy()
        given[missing] = _digests(frame.loc[missing]).to_numpy(dtype=object)
    return given


def _digests(frame: pd.DataFrame) -> pd.Series:
    if not len(frame):
        return pd.Series([], index=frame.index, dtype=object)
    parts = []
    for name in CONTENT_FIELDS:
        column = f"{name}_raw" if f"{name}_raw" in frame.columns else name
        values = (
            frame[column] if column in frame.columns else pd.Series(None, index=frame.index, dtype=object)
        )
        text = pa.array(
            values.astype(object).where(values.notna(), None).to_numpy(dtype=object), from_pandas=True
        )
        text = pc.cast(text, pa.string()) if not pa.types.is_string(text.type) else text
        text = pc.utf8_lower(pc.utf8_trim_whitespace(pc.replace_substring_regex(text, r"\s+", " ")))
        parts.append(pc.fill_null(text, ""))
    joined = pc.binary_join_element_wise(*parts, "\x1f").to_pylist()
    return pd.Series(
        [hashlib.sha1(t.encode("utf-8", "surrogatepass")).hexdigest()[:24] for t in joined],
        index=frame.index,
        dtype=object,
    )


def row_ids(frame: pd.DataFrame) -> pd.Series:
    """The identity of each row within its source (without `source|`): its legacy key; for a row
    without one, the `source_id` a cross-reference carries, else its `content_ids`, else (a frame
    with neither, such as an old cross-reference) `#<source_row>`."""
    key = text_column(frame, "source_key")
    missing = key.isna().to_numpy()
    if not missing.any():
        return key
    out = key.copy()
    given = text_column(frame, "source_id")
    out[missing] = given[missing]
    need = out.isna().to_numpy()
    if need.any() and has_content(frame):
        out[need] = content_ids(frame if need.all() else frame.loc[need]).to_numpy(dtype=object)
        need = out.isna().to_numpy()
    if need.any():
        rows = frame["source_row"] if "source_row" in frame.columns else pd.Series(range(1, len(frame) + 1))
        numbers = pd.to_numeric(pd.Series(np.asarray(rows), index=frame.index), errors="coerce")
        out[need] = numbers[need].map(lambda v: "#" if pd.isna(v) else f"#{int(v)}")
    return out


def identities(frame: pd.DataFrame) -> pd.Series:
    """`source|` and the row's identity within its source (`row_ids`)."""
    source = text_column(frame, "source").fillna("")
    return (source.astype(str) + "|" + row_ids(frame).astype(str)).astype(object)


def smallest_per_group(groups: np.ndarray, values: np.ndarray) -> pd.Series:
    """The smallest string per group, by sorting once (groupby-min on strings is pure Python)."""
    codes, uniques = pd.factorize(values, sort=True)
    best = pd.Series(codes).groupby(groups).min()
    return pd.Series(np.asarray(uniques, dtype=object)[best.to_numpy()], index=best.index)


def hashed_id(identity: str, salt: int = 0) -> str:
    text = identity if salt == 0 else f"{identity}|{salt}"
    return "C" + hashlib.sha1(text.encode("utf-8")).hexdigest()[:16]


def assign_ids(
    labels: np.ndarray, member_ids: pd.Series, known_ids: pd.DataFrame | None = None
) -> np.ndarray:
    """One customer id per row: known ids kept, new clusters hashed; never one id for two clusters."""
    frame = pd.DataFrame({"cluster": labels, "identity": member_ids.to_numpy(dtype=object)})
    smallest = smallest_per_group(frame["cluster"].to_numpy(), frame["identity"].to_numpy(dtype=object))
    chosen: dict[int, str] = {}
    taken: set[str] = set()
    if known_ids is not None and len(known_ids):
        known = pd.Series(
            known_ids["customer_id"].astype(str).to_numpy(), index=identities(known_ids).to_numpy()
        )
        known = known[~known.index.duplicated(keep="last")]
        frame["known"] = frame["identity"].map(known)
        votes = frame.dropna(subset=["known"]).groupby(["cluster", "known"]).size().rename("n").reset_index()
        votes["smallest"] = votes["cluster"].map(smallest)
        # Best claim first: most members, then the smaller id; each id goes to one cluster only.
        votes = votes.sort_values(["n", "known", "smallest"], ascending=[False, True, True])
        for cluster, cid in zip(votes["cluster"].to_numpy(), votes["known"].to_numpy(), strict=False):
            if int(cluster) in chosen or cid in taken:
                continue
            chosen[int(cluster)] = str(cid)
            taken.add(str(cid))
    for cluster, identity in smallest.items():
        if int(cluster) in chosen:
            continue
        salt = 0
        cid = hashed_id(identity)
        while cid in taken:
            salt += 1
            cid = hashed_id(identity, salt)
        chosen[int(cluster)] = cid
        taken.add(cid)
    return frame["cluster"].map(chosen).to_numpy(dtype=object)


def row_aliases(frame: pd.DataFrame) -> pd.Series:
    """`source|#<source_row>` for each row without a legacy key (None for keyed rows): how review
    files, decisions and labels name such a row within one run's outputs."""
    key = text_column(frame, "source_key")
    out = pd.Series([None] * len(frame), index=frame.index, dtype=object)
    keyless = key.isna().to_numpy()
    if keyless.any() and "source_row" in frame.columns:
        rows = pd.to_numeric(frame["source_row"], errors="coerce")
        source = text_column(frame, "source").fillna("")
        named = rows.notna().to_numpy() & keyless
        out[named] = source[named] + "|#" + rows[named].map(lambda v: str(int(v)))
    return out


def positions(member_ids: pd.Series, aliases: pd.Series | None = None) -> pd.Series:
    """Row position by identity, and by alias where no identity is spelled the same."""
    position = pd.Series(np.arange(len(member_ids)), index=member_ids.to_numpy(dtype=object))
    if aliases is not None:
        named = aliases.notna().to_numpy()
        extra = pd.Series(np.flatnonzero(named), index=aliases[named].to_numpy(dtype=object))
        position = pd.concat([position, extra])
    return position[~position.index.duplicated()]


def has_row_links(known: pd.DataFrame | None) -> bool:
    """True when a cross-reference holds keyless links by row number (`#<row>`), as stores did
    before content identities."""
    if known is None or not len(known) or "source_id" not in known.columns:
        return False
    keyless = text_column(known, "source_key").isna()
    return bool((keyless & text_column(known, "source_id").str.startswith("#", na=False)).any())


def _folded(frame: pd.DataFrame, column: str) -> pd.Series:
    return text_column(frame, column).map(lambda v: None if v is None else " ".join(v.split()).casefold())


def adopt_row_links(known: pd.DataFrame, customers: pd.DataFrame, clean: pd.DataFrame) -> pd.DataFrame:
    """`known` with the links by row number (`#<row>`, from a store written before content
    identities) carried over to this run's keyless rows by what they say, not by where they
    stand: a link goes to the row of its source that agrees with the linked customer (the same
    email, or the same first and last name), the row at its old place first; a link whose
    customer no row or several rows agree with is left as it is and matches nothing. So the first
    run after the upgrade keeps keyless customers' ids, and never gives one to another person."""
    if not has_row_links(known):
        return known
    keyless = text_column(clean, "source_key").isna().to_numpy()
    place = pd.to_numeric(clean["source_row"], errors="coerce").to_numpy()[keyless]
    rows = pd.DataFrame(
        {
            "source": text_column(clean, "source").to_numpy()[keyless],
            "place": [None if pd.isna(r) else f"#{int(r)}" for r in place],
            "content": row_ids(clean.loc[keyless]).to_numpy(dtype=object),
            "email": _folded(clean, "email").to_numpy()[keyless],
            "first": _folded(clean, "first_name").to_numpy()[keyless],
            "last": _folded(clean, "last_name").to_numpy()[keyless],
        }
    )
    stored = pd.DataFrame(
        {
            "customer_id": text_column(customers, "customer_id"),
            "email": _folded(customers, "email"),
            "first": _folded(customers, "first_name"),
            "last": _folded(customers, "last_name"),
        }
    )
    links = known.reset_index(drop=True)
    is_legacy = text_column(links, "source_key").isna() & text_column(links, "source_id").str.startswith(
        "#", na=False
    )
    legacy = links.loc[is_legacy, ["source", "source_id", "customer_id"]].reset_index()
    legacy = legacy.merge(stored, on="customer_id")
    by_email = legacy.dropna(subset=["email"]).merge(rows.dropna(subset=["email"]), on=["source", "email"])
    by_name = legacy.dropna(subset=["first", "last"]).merge(
        rows.dropna(subset=["first", "last"]), on=["source", "first", "last"]
    )
    pairs = pd.concat([by_email, by_name])[["index", "source_id", "place", "content"]].drop_duplicates()
    in_place = pairs[pairs["source_id"] == pairs["place"]]
    rest = pairs[~pairs["index"].isin(in_place["index"]) & ~pairs["content"].isin(in_place["content"])]
    rest = rest[~rest["index"].duplicated(keep=False) & ~rest["content"].duplicated(keep=False)]
    adopted = pd.concat([in_place.drop_duplicates("index"), rest])
    adopted = adopted[~adopted["content"].duplicated()]
    out = links.copy()
    out.loc[adopted["index"].to_numpy(), "source_id"] = adopted["content"].to_numpy()
    return out
