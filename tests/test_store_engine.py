"""Store URLs: the shipped drivers are chosen, and a password never shows."""

from __future__ import annotations

import pytest

from crmmigrate.errors import StoreError
from crmmigrate.store import mask_url, open_store
from crmmigrate.store.engine import normalise_url


@pytest.mark.parametrize(
    ("url", "driver"),
    [
        ("postgresql://u@h/db", "postgresql+psycopg"),
        ("postgres://u@h/db", "postgresql+psycopg"),
        ("mysql://u@h/db", "mysql+pymysql"),
        ("mariadb://u@h/db", "mariadb+pymysql"),
        ("postgresql+psycopg2://u@h/db", "postgresql+psycopg2"),
        ("sqlite:///crm.db", "sqlite"),
    ],
)
def test_bare_schemes_get_the_shipped_driver(url: str, driver: str) -> None:
    assert normalise_url(url).drivername == driver


def test_mysql_urls_talk_utf8mb4() -> None:
    assert normalise_url("mysql://u@h/db").query["charset"] == "utf8mb4"


@pytest.mark.parametrize(
    "url",
    [
        "postgresql://crm:s3cr%40t@db.example.com:5432/crm",
        "mysql://crm:s3cr@t@db.example.com/crm",
        "postgresql://crm@db.example.com/crm?password=s3cr@t",
        "postgresql://crm:p@ss@s3cr@db.example.com/crm",  # an unencoded @: its tail is no host
        "postgresql://crm:s3cr/t@db.example.com:5432/crm",
    ],
)
def test_mask_url_hides_the_password(url: str) -> None:
    masked = mask_url(url)
    assert "s3cr" not in masked
    assert "db.example.com" in masked


def test_a_store_that_cannot_connect_names_host_and_port_but_not_the_password() -> None:
    with pytest.raises(StoreError) as caught:
        open_store("postgresql://crm:Sup3rSecret@127.0.0.1:1/crm")
    message = str(caught.value) + str(caught.value.hint)
    assert "127.0.0.1:1/crm" in message
    assert "Sup3rSecret" not in message
    assert caught.value.__cause__ is None and caught.value.__suppress_context__


def test_a_mariadb_store_that_cannot_connect_names_host_and_port() -> None:
    with pytest.raises(StoreError, match="127.0.0.1:1/crm") as caught:
        open_store("mysql://root:Sup3rSecret@127.0.0.1:1/crm")
    assert "Sup3rSecret" not in str(caught.value)


def test_a_sqlite_store_that_cannot_be_created_is_a_store_error(tmp_path) -> None:
    (tmp_path / "a-file").write_text("not a folder")
    with pytest.raises(StoreError, match="cannot"):
        open_store(f"sqlite:///{tmp_path / 'a-file' / 'crm.db'}")


def test_an_unknown_scheme_is_a_store_error() -> None:
    with pytest.raises(StoreError, match="no database driver"):
        open_store("oracle+nosuchdriver://u:pw@h/db")


def test_a_relative_sqlite_path_is_relative_to_the_working_directory(tmp_path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    with open_store("sqlite:///crm.db") as store:
        assert store.count_customers() == 0
    assert (tmp_path / "crm.db").exists()


def test_a_sql_source_reads_its_url_as_the_store_does_and_never_shows_the_password() -> None:
    from crmmigrate.errors import InputError
    from crmmigrate.extract.sqlsource import SqlReader

    assert SqlReader("mysql://u@h/db", table="t")._engine().url.drivername == "mysql+pymysql"
    with pytest.raises(InputError) as caught:
        SqlReader("postgresql://crm:Sup3rSecret@127.0.0.1:1/crm?password=Sup3rSecret", table="t").columns()
    assert "Sup3rSecret" not in str(caught.value) + str(caught.value.file)
