"""Stable customer ids: derived from members; existing ids kept; never one id for two clusters."""

import numpy as np
import pandas as pd

from crmmigrate.dedupe import dedupe
from crmmigrate.dedupe.ids import assign_ids, hashed_id, identities
from crmmigrate.dedupe.synthetic import clean_frame

ROWS = pd.DataFrame(
    {"source": ["crm", "crm", "shop"], "source_row": [1, 2, 1], "source_key": ["A", None, "S1"]}
)


def test_identity_uses_the_key_or_the_row() -> None:
    assert identities(ROWS).tolist() == ["crm|A", "crm|#2", "shop|S1"]


def test_ids_are_derived_from_the_smallest_member() -> None:
    ids = assign_ids(np.array([0, 0, 1]), identities(ROWS))
    assert ids[0] == ids[1] == hashed_id("crm|#2")
    assert ids[2] == hashed_id("shop|S1")


def test_known_ids_are_kept_and_collisions_resolved() -> None:
    known = pd.DataFrame(
        {
            "source": ["crm", "shop"],
            "source_row": [1, 1],
            "source_key": ["A", "S1"],
            "customer_id": ["C-OLD", "C-OLD"],
        }
    )
    ids = assign_ids(np.array([0, 1, 2]), identities(ROWS), known)
    assert ids[0] == "C-OLD"  # tie on members: the cluster with the smaller identity keeps it
    assert ids[2] != "C-OLD" and len(set(ids)) == 3


def test_rerun_gives_the_same_ids_and_a_new_row_keeps_existing_ids() -> None:
    frame = clean_frame(120, seed=8).drop(columns=["person_id"])
    first = dedupe(frame)
    again = dedupe(frame.sample(frac=1.0, random_state=3))
    key = ["source", "source_row"]
    merged = first.xref.merge(again.xref, on=key)
    assert (merged["customer_id_x"] == merged["customer_id_y"]).all()
    new_row = frame.iloc[[0]].assign(source="web", source_row=1, source_key="W1")
    grown = dedupe(pd.concat([frame, new_row], ignore_index=True), known_ids=first.xref)
    merged = first.xref.merge(grown.xref, on=key)
    assert (merged["customer_id_x"] == merged["customer_id_y"]).all()
    assert grown.golden["customer_id"].is_unique


def test_a_keyless_rows_digest_made_where_its_values_are_gives_the_id_its_values_give() -> None:
    """An engine that keeps the `_raw` twins elsewhere sends each keyless row's digest instead;
    rows without one (stored rows standardised again here) are digested from their values."""
    from crmmigrate.dedupe.ids import CONTENT_DIGEST, content_digests

    rows = pd.DataFrame(
        {
            "source": ["crm"] * 4,
            "source_row": [1, 2, 3, 4],
            "source_key": [None, None, "K3", None],
            "first_name_raw": ["Anna", "anna ", "Ben", "Chloé"],
            "email_raw": ["a@x.de", "A@X.DE", "b@x.de", "c@x.de"],
        }
    )
    expected = identities(rows)
    assert expected[0] == "crm|~" + content_digests(rows)[0] and expected[1] == expected[0] + ".2"
    sent = rows.drop(columns=["first_name_raw", "email_raw"])
    sent[CONTENT_DIGEST] = [*content_digests(rows.iloc[:2]), None, None]
    sent.loc[3, ["first_name_raw", "email_raw"]] = ["Chloé", "c@x.de"]  # no digest: its own values
    assert identities(sent).tolist() == expected.tolist()
