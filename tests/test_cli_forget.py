"""`crmmigrate forget`: a person erased from the store stays out of later runs."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from crmmigrate.cli.app import app
from crmmigrate.config import load_config
from crmmigrate.pipeline import extract_all, load_suppressions, run
from crmmigrate.store import open_store

SAMPLES = Path(__file__).resolve().parent.parent / "samples"
runner = CliRunner()


def sample_config(tmp: Path, out: str = "out"):
    config = load_config(SAMPLES / "crmmigrate.yml")
    config.out = str(tmp / out)
    config.store = f"sqlite:///{tmp / 'crm.db'}"
    return config


@pytest.fixture(scope="module")
def loaded(tmp_path_factory: pytest.TempPathFactory):
    """The samples loaded into a fresh store; returns the config and one person with an email."""
    tmp = tmp_path_factory.mktemp("forget")
    config = sample_config(tmp)
    assert run(config).exit_code == 0
    with open_store(config.store) as store:
        customers = store.read_customers()
        xref = store.read_xref()
    sizes = xref["customer_id"].value_counts()
    merged = customers[customers["email"].notna() & customers["customer_id"].map(sizes).gt(1)]
    person = merged.sort_values("customer_id").iloc[0]
    rows = xref.loc[xref["customer_id"] == person["customer_id"], ["source", "source_row"]]
    return config, str(person["email"]), str(person["customer_id"]), rows


def test_forget_by_email_then_a_rerun_rejects_the_person(loaded) -> None:
    config, email, customer_id, rows = loaded
    result = runner.invoke(app, ["forget", "--email", email.upper(), "--store", config.store])
    assert result.exit_code == 0, result.output
    assert "erased 1 customer record" in result.output
    assert email.lower() not in result.output.lower()  # counts only, never the person's data
    with open_store(config.store) as store:
        assert customer_id not in set(store.read_customers()["customer_id"])
        before = store.count_customers()

    rerun = run(config)
    assert rerun.exit_code == 0 and rerun.balanced
    out = Path(config.out)
    rejects = pd.read_csv(out / "rejects.csv", dtype=str)
    suppressed = rejects[rejects["reason"] == "suppressed"]
    found = set(zip(suppressed["source"], suppressed["source_row"].astype(int), strict=True))
    assert set(zip(rows["source"], rows["source_row"].astype(int), strict=True)) <= found
    assert email.lower() not in (out / "rejects.csv").read_text(encoding="utf-8").lower()
    golden = pd.read_parquet(out / "golden.parquet")
    assert email.lower() not in set(golden["email"].dropna().str.lower())
    report = json.loads((out / "reconciliation.json").read_text(encoding="utf-8"))
    by_reason = [c["rejected_by_reason"].get("suppressed", 0) for c in report["sources"].values()]
    assert sum(by_reason) == len(suppressed)
    with open_store(config.store) as store:
        assert store.count_customers() == before  # not re-imported


def test_forget_by_customer_id_uses_the_store_from_the_environment(
    loaded, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config, *_ = loaded
    monkeypatch.chdir(tmp_path)  # no crmmigrate.yml here: $CRMMIGRATE_STORE_URL is the store
    monkeypatch.setenv("CRMMIGRATE_STORE_URL", config.store)
    with open_store(config.store) as store:
        someone = str(store.read_customers()["customer_id"].sort_values().iloc[-1])
    result = runner.invoke(app, ["forget", "--customer-id", someone])
    assert result.exit_code == 0, result.output
    assert "erased 1 customer record" in result.output
    # extraction from the config rejects the people on the store's suppression list (`crmmigrate extract`)
    extracted = extract_all(config, load_suppressions(config.store_config()))
    assert sum(c.rejected_by_reason.get("suppressed", 0) for c in extracted.counts.values()) >= 1
    assert all(c.read == c.rejected + c.staged for c in extracted.counts.values())


def test_nobody_found_is_still_suppressed_and_exits_1_so_a_typo_is_noticed(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'empty.db'}"
    result = runner.invoke(app, ["forget", "--email", "nobody@example.com", "--store", url])
    assert result.exit_code == 1, result.output
    output = " ".join(result.output.split())
    assert "nobody found" in output and "1 new identifier" in output
    assert "nobody with email 'nobody@example.com' is in the store" in output
    with open_store(url) as store:
        assert len(store.suppressions()) == 1


def test_a_dry_run_of_forget_says_what_would_go_and_changes_nothing(tmp_path: Path) -> None:
    config = sample_config(tmp_path)
    assert run(config).exit_code == 0
    with open_store(config.store) as store:
        someone = str(store.read_customers()["customer_id"].iloc[0])
        before = store.count_customers()
    result = runner.invoke(app, ["forget", "--customer-id", someone, "--store", config.store, "--dry-run"])
    assert result.exit_code == 0, result.output
    assert "would erase 1 customer record" in " ".join(result.output.split())
    with open_store(config.store) as store:
        assert store.count_customers() == before and len(store.suppressions()) == 0


def test_forget_on_a_terminal_asks_first(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config = sample_config(tmp_path)
    assert run(config).exit_code == 0
    with open_store(config.store) as store:
        someone = str(store.read_customers()["customer_id"].iloc[0])
    monkeypatch.setattr("crmmigrate.cli.forget.is_interactive", lambda: True)
    args = ["forget", "--customer-id", someone, "--store", config.store]
    refused = runner.invoke(app, args, input="n\n")
    assert refused.exit_code == 1 and "would erase 1 customer record" in " ".join(refused.output.split())
    with open_store(config.store) as store:
        assert someone in set(store.read_customers()["customer_id"])
    assert runner.invoke(app, [*args, "--yes"]).exit_code == 0
    with open_store(config.store) as store:
        assert someone not in set(store.read_customers()["customer_id"])


@pytest.mark.parametrize(
    "args", [[], ["--email", "a@example.com", "--customer-id", "C1"]], ids=["neither", "both"]
)
def test_exactly_one_of_email_or_customer_id(args: list[str], tmp_path: Path) -> None:
    result = runner.invoke(app, ["forget", *args, "--store", f"sqlite:///{tmp_path / 'x.db'}"])
    assert result.exit_code == 2
    assert "exactly one of --email or --customer-id" in result.output


INBOUND = """\
id,first_name,last_name,email,phone,zip,street,dob,country
N-1,{first},{last},mailto:{shout},,,,,DE
N-2,{first},{last},{typo},,,,,DE
N-3,{first},{last},someone.else@example.org,,{zip},{street},{dob},DE
N-4,Erika,Musterfrau,erika@example.org,,10115,Hauptstraße 1,1970-01-01,DE
N-4,{first},{last},{email},,,,,DE
"""
NIGHTLY = """\
sources:
  - name: inbound
    path: inbound.csv
    mapping:
      key: id
      columns: {first_name: first_name, last_name: last_name, email: email, phone: phone,
                postal_code: zip, address_line1: street, date_of_birth: dob, country: country}
"""


def test_a_forgotten_person_is_recognised_however_their_rows_are_written(tmp_path: Path) -> None:
    """The email in capitals behind mailto:, with a typo in the domain, another email with the
    same names and address, a rejected row holding the email: all kept out, values not copied."""
    config = sample_config(tmp_path)
    assert run(config).exit_code == 0
    with open_store(config.store) as store:
        customers = store.read_customers()
    fields = ["first_name", "last_name", "email", "date_of_birth", "postal_code", "address_line1"]
    person = customers.dropna(subset=fields).sort_values("customer_id").iloc[0]
    email = str(person["email"])
    local, domain = email.split("@")
    typo = f"{local}@{domain.replace('gmail', 'gmial').replace('web.de', 'wbe.de')}"
    (tmp_path / "inbound.csv").write_text(
        INBOUND.format(
            first=person["first_name"],
            last=person["last_name"],
            shout=email.upper(),
            typo=typo,
            email=email,
            zip=person["postal_code"],
            street=person["address_line1"],
            dob=person["date_of_birth"],
        ),
        encoding="utf-8",
    )
    (tmp_path / "nightly.yml").write_text(NIGHTLY, encoding="utf-8")
    nightly = load_config(tmp_path / "nightly.yml")
    nightly.out, nightly.store = str(tmp_path / "nightly_out"), config.store

    assert runner.invoke(
        app, ["forget", "--customer-id", str(person["customer_id"]), "--store", config.store]
    )
    result = run(nightly)
    rejects = pd.read_csv(Path(nightly.out) / "rejects.csv", dtype=str)
    assert set(rejects.loc[rejects["reason"] == "suppressed", "source_row"]) == {"1", "2", "3"}
    duplicate = rejects[rejects["source_row"] == "5"]
    assert duplicate["reason"].tolist() == ["duplicate_key"]  # the second N-4: the key was taken
    text = (Path(nightly.out) / "rejects.csv").read_text(encoding="utf-8").lower()
    assert local.lower() not in text  # no row of theirs copies the email out
    assert result.exit_code == 0 and result.balanced
    with open_store(config.store) as store:
        assert person["customer_id"] not in set(store.read_customers()["customer_id"])


def test_loading_outputs_written_before_the_person_was_forgotten_refuses_them(loaded, tmp_path: Path) -> None:
    """The stage-by-stage workflow: `crmmigrate load` of last week's outputs checks the list too."""
    config, *_ = loaded
    stale = sample_config(tmp_path, out="stale")
    stale.store = f"sqlite:///{tmp_path / 'other.db'}"
    assert run(stale, dry_run=True).exit_code == 0  # outputs in tmp/stale, nothing loaded
    golden = pd.read_parquet(Path(stale.out) / "golden.parquet")
    someone = golden.dropna(subset=["email"]).sort_values("customer_id").iloc[-1]
    with open_store(stale.store) as store:
        store.forget(customer_id=str(someone["customer_id"]))
    out = Path(stale.out)
    result = runner.invoke(
        app,
        [
            "load",
            "--in",
            str(out / "golden.parquet"),
            "--xref",
            str(out / "xref.csv"),
            "--store",
            stale.store,
        ],
    )
    assert result.exit_code == 0, result.output
    with open_store(stale.store) as store:
        stored = store.read_customers()
    assert someone["customer_id"] not in set(stored["customer_id"])
    assert len(stored) == len(golden) - 1
