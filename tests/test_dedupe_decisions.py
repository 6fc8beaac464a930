"""Human decisions: must-link and cannot-link by source keys, applied on every run."""

import pandas as pd
import pytest

from crmmigrate.dedupe import dedupe, load_decisions
from crmmigrate.errors import InputError

CLEAN = pd.DataFrame(
    {
        "source": ["crm", "shop", "erp", "crm"],
        "source_row": [1, 1, 1, 2],
        "source_key": ["A1", "S1", None, "A2"],
        "first_name": ["Anna", "Anna", "Jonas", "Petra"],
        "first_name_match": ["anna", "anna", "jonas", "petra"],
        "last_name": ["Weber", "Weber", "Krause", "Vogel"],
        "email": ["anna.weber@web.de", "anna.weber@web.de", "jk@gmx.de", "pv@gmx.de"],
    }
)


def customer(result, source: str, row: int) -> str:
    xref = result.xref
    return xref[(xref["source"] == source) & (xref["source_row"] == row)]["customer_id"].iloc[0]


def test_load_decisions_checks_columns_and_values(tmp_path) -> None:
    good = tmp_path / "decisions.csv"
    good.write_text("left_source,left_key,right_source,right_key,decision\ncrm,A1,shop,S1,Cannot-Link\n")
    frame = load_decisions(good)
    assert frame["decision"].tolist() == ["cannot_link"]
    bad = tmp_path / "bad.csv"
    bad.write_text("left_source,left_key,right_source,right_key,decision\ncrm,A1,shop,S1,maybe\n")
    with pytest.raises(InputError, match="maybe") as info:
        load_decisions(bad)
    assert info.value.row == 2
    with pytest.raises(InputError, match="decision"):
        load_decisions_from_text(tmp_path, "left_source,left_key\ncrm,A1\n")


def load_decisions_from_text(tmp_path, text: str) -> pd.DataFrame:
    path = tmp_path / "x.csv"
    path.write_text(text)
    return load_decisions(path)


def test_cannot_link_keeps_records_apart() -> None:
    assert customer(dedupe(CLEAN), "crm", 1) == customer(dedupe(CLEAN), "shop", 1)
    decisions = pd.DataFrame(
        [["crm", "A1", "shop", "S1", "cannot_link"]],
        columns=["left_source", "left_key", "right_source", "right_key", "decision"],
    )
    result = dedupe(CLEAN, decisions=decisions)
    assert customer(result, "crm", 1) != customer(result, "shop", 1)
    assert result.review.empty or not (result.review["left_source_key"] == "A1").any()


def test_must_link_joins_records_even_without_evidence_and_row_keys_work() -> None:
    decisions = pd.DataFrame(
        [["erp", "#1", "crm", "A2", "must_link"]],
        columns=["left_source", "left_key", "right_source", "right_key", "decision"],
    )
    result = dedupe(CLEAN, decisions=decisions)
    assert customer(result, "erp", 1) == customer(result, "crm", 2)
    assert result.stats["must_link"] == 1


def test_decisions_path_in_settings(tmp_path) -> None:
    from crmmigrate.dedupe import DedupeSettings

    path = tmp_path / "decisions.csv"
    path.write_text("left_source,left_key,right_source,right_key,decision\ncrm,A1,shop,S1,cannot_link\n")
    result = dedupe(CLEAN, DedupeSettings(decisions=str(path)))
    assert customer(result, "crm", 1) != customer(result, "shop", 1)
