"""Incremental matching: a nightly inbound file matched against the customers already stored."""

from __future__ import annotations

import textwrap
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from crmmigrate.cleanse import standardise
from crmmigrate.config import load_config
from crmmigrate.dedupe.incremental import Stored, dedupe_incremental, nearby
from crmmigrate.pipeline import run
from crmmigrate.store import open_store

SAMPLES = Path(__file__).resolve().parent.parent / "samples"

#: Two returning customers (one with a new email, one with only a partial record), the husband of
#: one of them (a household member, stored as his own customer) and someone new.
INBOUND = (Path(__file__).parent / "fixtures" / "nightly" / "inbound.csv").read_text(encoding="utf-8")

NIGHTLY = """\
sources:
  - name: inbound
    path: inbound.csv
    mapping:
      key: id
      columns:
        first_name: first_name
        last_name: last_name
        email: email
        phone: phone
        address_line1: street
        postal_code: zip
        city: city
        country: country
        updated_at: updated
dedupe: {incremental: true}
"""


@pytest.fixture(scope="module")
def migrated(tmp_path_factory: pytest.TempPathFactory):
    """The samples migrated into a store, then one nightly run of the inbound file."""
    tmp = tmp_path_factory.mktemp("incremental")
    store = f"sqlite:///{tmp / 'crm.db'}"
    full = load_config(SAMPLES / "crmmigrate.yml")
    full.out, full.store = str(tmp / "out_full"), store
    assert run(full).exit_code == 0
    with open_store(store) as opened:
        before = opened.read_customers()
    (tmp / "inbound.csv").write_text(INBOUND, encoding="utf-8")
    (tmp / "nightly.yml").write_text(NIGHTLY, encoding="utf-8")
    nightly = load_config(tmp / "nightly.yml")
    nightly.out, nightly.store = str(tmp / "out_nightly"), store
    result = run(nightly)
    xref = pd.read_csv(tmp / "out_nightly" / "xref.csv", dtype={"source_key": str})
    return before, nightly, result, xref.set_index("source_key")["customer_id"]


def _stored_id(store: str, source: str, key: str) -> str:
    with open_store(store) as opened:
        xref = opened.read_xref()
    hit = xref[(xref["source"] == source) & (xref["source_key"] == key)]
    assert len(hit) == 1, hit
    return str(hit["customer_id"].iloc[0])


def test_returning_customers_keep_their_stored_ids(migrated) -> None:
    _, nightly, result, ids = migrated
    assert result.exit_code == 0 and result.balanced
    assert ids["W-1"] == _stored_id(nightly.store, "erp", "100114")  # Jean-Baptiste Lambert
    assert ids["W-2"] == _stored_id(nightly.store, "webshop", "10004")  # Aurélie Faure
    assert ids["W-4"] == _stored_id(nightly.store, "erp", "100132")  # Laurent Faure


def test_a_new_person_becomes_one_new_customer(migrated) -> None:
    before, nightly, _, ids = migrated
    assert ids["W-3"] not in set(before["customer_id"])
    with open_store(nightly.store) as opened:
        after = opened.read_customers()
    assert len(after) == len(before) + 1


def test_a_household_member_is_not_merged_into_his_wife(migrated) -> None:
    _, _, _, ids = migrated
    assert ids["W-2"] != ids["W-4"]


def test_a_returning_customer_gains_the_new_values_and_keeps_the_old_lineage(migrated) -> None:
    before, nightly, _, ids = migrated
    with open_store(nightly.store) as opened:
        after = opened.read_customers().set_index("customer_id")
        lineage = opened.read_lineage()
    lambert = after.loc[ids["W-1"]]
    assert lambert["email"] == "jb.lambert@gmail.com"
    stored_count = before.set_index("customer_id").loc[ids["W-1"], "member_count"]
    assert lambert["member_count"] == stored_count + 1
    fields = lineage[lineage["customer_id"] == ids["W-1"]].set_index("field")
    assert fields.loc["email", "source"] == "inbound"
    assert fields.loc["created_at", "source"] != "inbound"  # the inbound file has none: kept


def test_rerunning_the_same_nightly_file_changes_nothing(migrated) -> None:
    _, nightly, _, ids = migrated
    again = run(nightly)
    assert again.exit_code == 0
    assert again.load is not None and again.load.plan.changes == 0


def test_an_empty_store_gets_a_full_run(tmp_path: Path) -> None:
    (tmp_path / "inbound.csv").write_text(INBOUND, encoding="utf-8")
    (tmp_path / "nightly.yml").write_text(NIGHTLY, encoding="utf-8")
    config = load_config(tmp_path / "nightly.yml")
    config.out, config.store = str(tmp_path / "out"), f"sqlite:///{tmp_path / 'crm.db'}"
    result = run(config)
    assert result.exit_code == 0 and result.balanced


def _staged(rows: list[dict]) -> pd.DataFrame:
    frame = pd.DataFrame(rows)
    frame.insert(0, "source", "inbound")
    frame.insert(1, "source_row", range(1, len(frame) + 1))
    return frame


def test_two_stored_customers_are_never_merged_by_a_new_row() -> None:
    customers = pd.DataFrame(
        {
            "customer_id": ["C1", "C2"],
            "household_id": ["H1", "H2"],
            "first_name": ["Maria", "Maria"],
            "last_name": ["Rossi", "Rossi"],
            "email": ["maria.rossi@libero.it", "m.rossi@gmail.com"],
            "phone": ["+393331234567", "+393471112233"],
            "postal_code": ["00184", "00184"],
            "city": ["Roma", "Roma"],
            "country": ["IT", "IT"],
            "member_count": [1, 1],
        }
    )
    new = _staged(
        [
            {
                "source_key": "N1",
                "first_name": "Maria",
                "last_name": "Rossi",
                "email": "maria.rossi@libero.it",
                "phone": "+39 347 111 2233",
                "postal_code": "00184",
                "city": "Roma",
                "country": "IT",
            }
        ]
    )
    stored = Stored(
        customers,
        pd.DataFrame(columns=["source", "source_row", "source_key", "customer_id", "match_score"]),
        pd.DataFrame(columns=["customer_id", "field", "source", "source_row"]),
    )
    result = dedupe_incremental(standardise(new), stored, standardise)
    assert result.xref["customer_id"].iloc[0] in {"C1", "C2"}
    assert set(result.golden["customer_id"]) == {result.xref["customer_id"].iloc[0]}


def test_only_stored_customers_sharing_a_value_with_a_new_row_are_compared() -> None:
    customers = pd.DataFrame(
        {
            "customer_id": ["C1", "C2", "C3"],
            "email": ["a@x.org", "b@x.org", None],
            "city": ["Lyon", "Lille", "LYON"],
        }
    )
    new = pd.DataFrame({"email": ["A@x.org"], "city": ["Nice"]})
    assert nearby(customers, new).tolist() == [True, False, False]


def test_a_saved_model_can_be_used_instead_of_fitting(migrated, tmp_path: Path) -> None:
    _, nightly, _, _ = migrated
    model = Path(nightly.out) / "match_model.json"
    config = nightly.model_copy(deep=True)
    config.dedupe.model = str(model)
    config.out = str(tmp_path / "out")
    result = run(config)
    assert result.exit_code == 0


def test_a_model_file_that_is_not_one_is_a_config_error(tmp_path: Path) -> None:
    from crmmigrate.errors import ConfigError

    (tmp_path / "inbound.csv").write_text(INBOUND, encoding="utf-8")
    (tmp_path / "nightly.yml").write_text(
        NIGHTLY
        + textwrap.dedent("""\
        store: sqlite:///crm.db
        """).replace("dedupe: {incremental: true}", ""),
        encoding="utf-8",
    )
    (tmp_path / "model.json").write_text('{"hello": 1}', encoding="utf-8")
    config = load_config(tmp_path / "nightly.yml")
    config.dedupe.model = str(tmp_path / "model.json")
    config.out, config.store = str(tmp_path / "out"), f"sqlite:///{tmp_path / 'crm.db'}"
    with pytest.raises(ConfigError, match="not a match model"):
        run(config)


def test_the_incremental_flag_overrides_the_config(migrated, tmp_path: Path) -> None:
    import json

    from typer.testing import CliRunner

    from crmmigrate.cli.app import app

    _, nightly, _, _ = migrated
    folder = Path(nightly.out).parent
    (tmp_path / "full.yml").write_text(
        NIGHTLY.replace("dedupe: {incremental: true}", "").replace(
            "inbound.csv", str(folder / "inbound.csv")
        ),
        encoding="utf-8",
    )
    out = tmp_path / "out"
    args = ["run", str(tmp_path / "full.yml"), "--store", nightly.store, "--out", str(out), "--incremental"]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    report = json.loads((out / "reconciliation.json").read_text(encoding="utf-8"))
    assert report["extra"]["dedupe"]["mode"] == "incremental"


def test_a_keyless_row_is_matched_anew_not_taken_for_last_nights_row_with_its_number() -> None:
    customers = pd.DataFrame(
        {
            "customer_id": ["C1"],
            "household_id": ["H1"],
            "first_name": ["Jean"],
            "last_name": ["Lambert"],
            "email": ["jean.lambert@wanadoo.fr"],
            "member_count": [1],
        }
    )
    xref = pd.DataFrame(
        {
            "source": ["inbound"],
            "source_row": [1],
            "source_key": [None],
            "customer_id": ["C1"],
            "match_score": [None],
        }
    )
    new = _staged([{"first_name": "Max", "last_name": "Mustermann", "email": "max@example.de"}])
    stored = Stored(customers, xref, pd.DataFrame(columns=["customer_id", "field", "source", "source_row"]))
    result = dedupe_incremental(standardise(new), stored, standardise)
    assert result.xref["customer_id"].iloc[0] != "C1"


def test_leaving_out_stored_customers_that_share_nothing_with_new_rows_loses_no_candidate() -> None:
    """Every stored customer a tight blocking key pairs with a new row passes the `nearby` filter."""
    from crmmigrate.dedupe import blocking
    from crmmigrate.dedupe.prepare import prepare
    from crmmigrate.dedupe.synthetic import clean_frame

    frame = clean_frame(600, seed=21).drop(columns=["person_id"])
    stored_part, new = frame.iloc[:500].reset_index(drop=True), frame.iloc[500:].reset_index(drop=True)
    customers = stored_part.assign(customer_id=[f"C{i}" for i in range(len(stored_part))])
    both = pd.concat([new, stored_part], ignore_index=True)
    keys = [k for k in blocking.automatic_keys(prepare(both)) if k.name in blocking.ANCHOR_KEYS]
    pairs = blocking.candidate_pairs(keys, len(both), max_block=10_000)
    crossing = (pairs.left < len(new)) & (pairs.right >= len(new))
    needed = set(pairs.right[crossing] - len(new))
    kept = set(np.flatnonzero(nearby(customers, new)))
    assert needed and needed <= kept
    assert len(kept) < len(customers)  # and the filter does filter


def test_stored_customers_keep_their_household_ids(migrated) -> None:
    before, nightly, _, ids = migrated
    with open_store(nightly.store) as opened:
        after = opened.read_customers().set_index("customer_id")["household_id"]
    was = before.set_index("customer_id")["household_id"]
    for key in ("W-1", "W-2", "W-4"):
        assert after[ids[key]] == was[ids[key]]


def test_an_incremental_run_groups_new_rows_as_a_full_run_would() -> None:
    """One matching path: the rows of a nightly file land with the same people whether they are
    matched against the stored golden records or re-clustered with everything."""
    from crmmigrate.accuracy import pairwise_scores
    from crmmigrate.dedupe import dedupe
    from crmmigrate.dedupe.synthetic import clean_frame

    frame = clean_frame(300, seed=8)
    people = frame["person_id"].drop_duplicates().sample(frac=0.15, random_state=1)
    late = frame["person_id"].isin(people) & frame.duplicated("person_id", keep="first")
    early, new = frame[~late].reset_index(drop=True), frame[late].reset_index(drop=True)
    full = dedupe(frame.drop(columns=["person_id"]))
    first = dedupe(early.drop(columns=["person_id"]))
    stored = Stored(first.golden, first.xref, first.lineage)
    nightly = dedupe_incremental(new.drop(columns=["person_id"]), stored, lambda staged: staged)
    key = ["source", "source_key"]
    incremental = pd.concat([first.xref, nightly.xref])[key + ["customer_id"]]
    both = full.xref[key + ["customer_id"]].merge(incremental, on=key, suffixes=("_full", "_nightly"))
    assert len(both) == len(frame)
    agreement = pairwise_scores(both["customer_id_nightly"], both["customer_id_full"])
    assert agreement.f1 > 0.98
    assert nightly.stats["new_rows_joining_stored_customers"] > 0.8 * len(new)  # all are returning
