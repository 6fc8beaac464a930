"""Households: golden records sharing an address or a landline, grouped rather than merged.

Keys shared by very many distinct customers (an office block, a switchboard) are ignored so that a
household stays a household.
"""

from __future__ import annotations

import hashlib

import numpy as np
import pandas as pd

from .prepare import MatchFrame

#: A key shared by more distinct customers than this is not a household.
MAX_HOUSEHOLD = 12


def household_ids(mf: MatchFrame, customer_ids: np.ndarray) -> pd.Series:
    """household_id per customer_id (index): `H` + sha1(smallest customer id of the household)."""
    from .clustering import components

    texts = np.fromiter((str(c) for c in customer_ids), dtype=object, count=len(customer_ids))
    cust_code, customers = pd.factorize(texts, sort=True)
    customers = customers.astype(str)
    del texts
    left, right = [], []
    for key in (_address_codes(mf), _landline_codes(mf)):
        known = key >= 0
        frame = pd.DataFrame({"k": key[known], "c": cust_code[known]}).drop_duplicates()
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


def _address_codes(mf: MatchFrame) -> np.ndarray:
    """Per row a number for its street and place (the postal code, else the city), the same for
    the same pair of texts; -1 where the street or the place is missing. Numbers rather than joined
    texts: a million rows' keys as strings are hundreds of MiB."""
    street = pd.factorize(mf.array("street"))[0]
    postal, city = mf.array("postal"), mf.array("city")
    place, places = pd.factorize(np.where(pd.isna(postal), city, postal))
    return np.where((street >= 0) & (place >= 0), street.astype(np.int64) * (len(places) + 1) + place, -1)


def _landline_codes(mf: MatchFrame) -> np.ndarray:
    """Per row a number for its phone when it is no mobile, -1 otherwise (or missing)."""
    phone = pd.factorize(mf.array("phone"))[0].astype(np.int64)
    return np.where(mf.data["mobile"].to_numpy(dtype=bool), -1, phone)
