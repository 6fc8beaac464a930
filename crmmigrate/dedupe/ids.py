"""Stable customer ids: derived from a cluster's members, so reruns give the same ids.

`customer_id = "C" + sha1(smallest member identity)[:16]`, where a member's identity is
`source|source_key` (or `source|#source_row` when the source has no keys). Existing customers
(the store's cross-reference) keep their ids: a cluster holding a known member takes that id.
"""

from __future__ import annotations

import hashlib

import numpy as np
import pandas as pd

from .prepare import text_column


def identities(frame: pd.DataFrame) -> pd.Series:
    """`source|key` per row, `source|#row` where the key is missing."""
    source = text_column(frame, "source").fillna("")
    key = text_column(frame, "source_key")
    rows = frame["source_row"] if "source_row" in frame.columns else pd.Series(range(1, len(frame) + 1))
    numbers = pd.to_numeric(pd.Series(rows, index=frame.index), errors="coerce")
    row_text = pd.Series("#", index=frame.index, dtype=object) + numbers.map(
        lambda v: "" if pd.isna(v) else str(int(v))
    ).astype(object)
    return (source.astype(str) + "|" + key.where(key.notna(), row_text).astype(str)).astype(object)


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
