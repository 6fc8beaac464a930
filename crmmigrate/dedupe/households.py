"""Households: golden records sharing an address or a landline, grouped rather than merged.

Keys shared by very many distinct customers (an office block, a switchboard) are ignored so that a
household stays a household.
"""

from __future__ import annotations

import hashlib

import numpy as np
import pandas as pd

from .comparisons import address_key
from .prepare import MatchFrame

#: A key shared by more distinct customers than this is not a household.
MAX_HOUSEHOLD = 12


def household_ids(mf: MatchFrame, customer_ids: np.ndarray) -> pd.Series:
    """household_id per customer_id (index): `H` + sha1(smallest customer id of the household)."""
    from .clustering import components

    customers, cust_code = np.unique(customer_ids.astype(str), return_inverse=True)
    address = pd.Series(address_key(mf), dtype=object)
    address = address.where(pd.notna(mf.array("street")), None)
    landline = pd.Series(mf.array("phone"), dtype=object).where(~mf.data["mobile"].to_numpy(dtype=bool), None)
    left, right = [], []
    for key in (address, landline):
        frame = pd.DataFrame({"k": key.to_numpy(dtype=object), "c": cust_code}).dropna().drop_duplicates()
        sizes = frame.groupby("k")["c"].transform("size")
        frame = frame[(sizes > 1) & (sizes <= MAX_HOUSEHOLD)]
        first = frame.groupby("k")["c"].transform("min")
        left.append(first.to_numpy())
        right.append(frame["c"].to_numpy())
    labels = components(
        len(customers), np.concatenate(left).astype(np.int64), np.concatenate(right).astype(np.int64)
    )
    # customers are sorted, so the smallest customer of a household is its first position
    first = pd.Series(np.arange(len(customers))).groupby(labels).transform("min").to_numpy()
    hashed = {
        c: "H" + hashlib.sha1(str(customers[c]).encode("utf-8")).hexdigest()[:16] for c in np.unique(first)
    }
    return pd.Series([hashed[c] for c in first], index=customers)
