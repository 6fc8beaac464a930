"""Blocking keys as text per row (what a Spark task writes) meet exactly the rows that
`blocking.automatic_keys` codes alike, and sort large blocks in the same order. No Spark needed."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from crmmigrate.dedupe.blocking import automatic_keys, configured_keys
from crmmigrate.dedupe.prepare import MatchFrame, prepare
from crmmigrate.dedupe.synthetic import clean_frame
from crmmigrate.spark import keys


def _same_partition(texts: list[np.ndarray], codes: tuple[np.ndarray, ...]) -> bool:
    """Equal texts exactly where equal codes, missing where missing, over all of a key's values."""
    mine = pd.factorize(np.concatenate(texts))[0]
    theirs = np.concatenate(codes)
    if not ((mine >= 0) == (theirs >= 0)).all():
        return False
    both = pd.DataFrame({"mine": mine, "theirs": theirs})[theirs >= 0]
    return bool(
        (both.groupby("mine")["theirs"].nunique() == 1).all()
        and (both.groupby("theirs")["mine"].nunique() == 1).all()
    )


@pytest.fixture(scope="module")
def mf() -> MatchFrame:
    frame = clean_frame(600, seed=3)
    frame.loc[::7, "company"] = "Müller & Söhne GmbH"  # companies, some rows named by one alone
    frame.loc[::21, ["first_name", "last_name", "full_name"]] = None
    return prepare(frame)


def test_every_automatic_key_meets_the_same_rows_and_sorts_them_alike(mf: MatchFrame) -> None:
    expected = automatic_keys(mf)
    values = keys.automatic_values(mf.data, [])
    codes = keys.order_codes(mf.data)
    specs = {spec.name: spec for spec in keys.automatic_specs([])}
    assert {k.name for k in expected} <= set(values)
    for key in expected:
        assert len(values[key.name]) == len(key.values), key.name
        assert _same_partition(values[key.name], key.values), key.name
        assert (codes[specs[key.name].order] == key.order).all(), key.name
        assert (specs[key.name].uses, specs[key.name].trains) == (key.uses, key.trains), key.name


def test_configured_rules_meet_the_same_rows(mf: MatchFrame) -> None:
    rules = [["last_name", "postal_code"], ["email"], ["date_of_birth", "first_name"]]
    expected = configured_keys(mf, rules)
    values = keys.configured_values(mf.data, rules)
    for key, spec in zip(expected, keys.configured_specs(rules), strict=True):
        assert spec.name == key.name and spec.uses == key.uses
        assert _same_partition(values[key.name], key.values), key.name


def test_entries_hold_one_row_per_filled_value_with_its_sort_text(mf: MatchFrame) -> None:
    specs = keys.automatic_specs([])
    values = keys.automatic_values(mf.data, [])
    codes = keys.order_codes(mf.data)
    entries = keys.key_entries(np.arange(len(mf)), specs, values, codes)
    email = entries[entries["k"] == 0]
    assert len(email) == mf.data["email"].notna().sum()
    assert set(email["pos"]) == set(np.flatnonzero(mf.data["email"].notna()))
    assert (email["order"].to_numpy() == codes["full"][email["pos"]]).all()


@pytest.mark.parametrize(
    ("custom", "rules"),
    [([], None), (["loyalty"], None), ([], [["last_name", "postal_code"], ["loyalty"], ["phone"]])],
)
def test_a_task_sent_only_the_columns_keys_read_writes_the_same_entries(
    mf: MatchFrame, custom: list[str], rules: list[list[str]] | None
) -> None:
    data = mf.data.assign(x_loyalty=[f"L{i % 50}" if i % 3 else None for i in range(len(mf))])
    specs = keys.configured_specs(rules) if rules else keys.automatic_specs(custom)

    def entries(frame: pd.DataFrame) -> pd.DataFrame:
        values = keys.configured_values(frame, rules) if rules else keys.automatic_values(frame, custom)
        return keys.key_entries(np.arange(len(frame)), specs, values, keys.order_codes(data))

    read = keys.columns_read(list(data.columns), custom, rules)
    assert len(read) < len(data.columns)
    pd.testing.assert_frame_equal(entries(data[read]), entries(data))
