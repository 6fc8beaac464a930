import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st
from nameparser import HumanName

from crmmigrate.cleanse.name import (
    match_first_name,
    parse_full_name,
    proper_case,
    split_full_name,
    standardise_name_part,
    standardise_names,
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("JOHN SMITH", "John Smith"),
        ("mcdonald", "McDonald"),
        ("MACDONALD", "MacDonald"),
        ("mack", "Mack"),
        ("o'brien", "O'Brien"),
        ("jean-luc", "Jean-Luc"),
        ("DeVito", "DeVito"),
        ("VAN DER BERG", "van der Berg"),
        ("ÉMILE", "Émile"),
    ],
)
def test_proper_case(text, expected):
    assert proper_case(text) == expected


@pytest.mark.parametrize(
    ("text", "first", "last"),
    [
        ("SMITH, John", "John", "Smith"),
        ("Dr. John Smith Jr.", "John", "Smith"),
        ("Ludwig van Beethoven", "Ludwig", "van Beethoven"),
        ("YAMADA Taro", "Taro", "Yamada"),
        ("Prof. Dr. Hans Müller", "Hans", "Müller"),
        ("Mary-Jane O'Neil", "Mary-Jane", "O'Neil"),
    ],
)
def test_split_full_name(text, first, last):
    assert split_full_name(text) == (first, last)


def test_nicknames_for_matching():
    assert [match_first_name(n) for n in ("Bob", "Kate", "Hans", "Sepp", "Paco", "Pepe", "Jean", "José")] == [
        "robert",
        "katherine",
        "johannes",
        "josef",
        "francisco",
        "jose",
        "jean",
        "jose",
    ]


def test_rows_compose_and_split():
    out = standardise_names(
        pd.Series(["bob", None]), pd.Series(["SMITH", None]), pd.Series([None, "Mrs. Kate O'NEIL"])
    )
    assert out["full_name"].tolist() == ["Bob Smith", "Kate O'Neil"]
    assert out["full_name_status"].tolist() == ["inferred", "fixed"]
    assert out[["first_name", "first_name_status"]].values.tolist() == [
        ["Bob", "fixed"],
        ["Kate", "inferred"],
    ]
    assert out["first_name_match"].tolist() == ["robert", "katherine"]


@given(st.text(max_size=30))
def test_idempotent_and_never_raises(text):
    value, _ = standardise_name_part(text.strip() or None)
    if value is not None:
        assert standardise_name_part(value) == (value, "valid")


@given(
    st.one_of(st.none(), st.text(max_size=20)),
    st.one_of(st.none(), st.text(max_size=20)),
    st.one_of(st.none(), st.text(max_size=30)),
)
def test_rows_never_raise_and_are_idempotent(first, last, full):
    clean = [None if v is None or not v.strip() else " ".join(v.split()) for v in (first, last, full)]
    once = standardise_names(*(pd.Series([v], dtype=object) for v in clean))
    row = once.iloc[0]
    again = standardise_names(
        *(pd.Series([row[c]], dtype=object) for c in ("first_name", "last_name", "full_name"))
    )
    for column in ("first_name", "last_name", "full_name"):
        assert again[column].iloc[0] == row[column]


@pytest.mark.parametrize("typed", ["Sir", "Maj. Gen.", "1st", "Dr", "Mr."])
def test_a_title_alone_in_the_name_field_is_not_a_name(typed: str) -> None:
    """A CRM's first-name field holding only "Sir" or "Dr": no name, kept raw, marked invalid."""
    assert standardise_name_part(typed) == (None, "invalid")
    assert standardise_name_part(f"{typed} John") == ("John", "fixed")


def _row(first: str | None = None, last: str | None = None, full: str | None = None) -> dict:
    return standardise_names(*(pd.Series([v], dtype=object) for v in (first, last, full))).iloc[0].to_dict()


@pytest.mark.parametrize(
    ("text", "first", "last", "full"),
    [
        ("Peter R. Jansen", "Peter", "Jansen", "Peter R. Jansen"),  # middle names: in the full name only
        ("Dr. Helen Mary Foster", "Helen", "Foster", "Helen Mary Foster"),
        ("Foster, Helen M.", "Helen", "Foster", "Helen M. Foster"),
    ],
)
def test_the_first_name_is_the_given_name_alone(text: str, first: str, last: str, full: str) -> None:
    row = _row(full=text)
    assert (row["first_name"], row["last_name"], row["full_name"]) == (first, last, full)


@pytest.mark.parametrize(
    ("text", "last", "suffix"),
    [
        ("Maria Lopez, CPA, CFA", "Lopez", "CPA CFA"),  # credentials after commas
        ("Karl Weber III", "Weber", "III"),  # a regnal number
        ("Tom Hughes QC", "Hughes", "QC"),
        ("Anna Berg, Ph.D.", "Berg", "Ph.D."),
        ("Ma, Jack Jr", "Ma", "Jr"),  # Ma: a surname here, not a degree
    ],
)
def test_suffixes_and_credentials_are_not_the_last_name(text: str, last: str, suffix: str) -> None:
    parsed = parse_full_name(text)
    assert (parsed.last, parsed.suffix) == (last, suffix)


@pytest.mark.parametrize(
    ("text", "first", "last"),
    [
        ("The Hon. Sarah Clarke", "Sarah", "Clarke"),
        ("Rt. Hon. Paul Marsh", "Paul", "Marsh"),
        ("Lt.Col. Mary Dunn", "Mary", "Dunn"),
        ("Prof. Dr. Dr. h.c. Hans Müller", "Hans", "Müller"),
        ("Dipl.-Ing. Eva Roth", "Eva", "Roth"),
        ("Sir Alan", "Alan", None),  # Sir goes with the given name
        ("Mr. Hughes", None, "Hughes"),  # Mr with the surname
    ],
)
def test_titles_of_any_kind_are_left_out(text: str, first: str | None, last: str | None) -> None:
    assert split_full_name(text) == (first, last)


@pytest.mark.parametrize(
    ("text", "first", "last"),
    [
        ("Pablo Ortega y Gasset", "Pablo", "Ortega y Gasset"),  # two surnames joined by y
        ("Gasset, Pablo Ortega y", "Pablo", "Gasset"),
        ("Yusuf ben Ali", "Yusuf", "ben Ali"),  # a particle in lower case belongs to the surname
        ("Ben Carter", "Ben", "Carter"),  # capitalised: a given name
        ("Maria dos Santos", "Maria", "dos Santos"),
    ],
)
def test_surnames_with_particles_and_conjunctions(text: str, first: str, last: str) -> None:
    assert split_full_name(text) == (first, last)


@pytest.mark.parametrize(
    "text", ['Robert "Bobby" Kent', "Robert (Bobby) Kent", "Robert 'Bobby' Kent", "Kent, Robert (Bobby)"]
)
def test_a_nickname_is_neither_first_name_nor_part_of_the_full_name(text: str) -> None:
    row = _row(full=text)
    assert (row["first_name"], row["last_name"], row["full_name"]) == ("Robert", "Kent", "Robert Kent")
    assert row["first_name_match"] == "robert"


@pytest.mark.parametrize("text", ["Dr.", "Prof.", "Mr. and Mrs.", "Esq."])
def test_a_title_alone_in_the_full_name_is_no_name(text: str) -> None:
    row = _row(full=text)
    assert (row["first_name"], row["last_name"], row["full_name"]) == (None, None, None)
    assert (row["first_name_status"], row["full_name_status"]) == ("missing", "invalid")


def test_a_single_name_is_taken_as_the_given_name() -> None:
    """ "Andrew" alone in a full-name column: a web form's name field, most often a first name."""
    row = _row(full="Andrew")
    assert (row["first_name"], row["first_name_status"], row["last_name"]) == ("Andrew", "inferred", None)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("lt. col. mary e. dunn", "Mary E. Dunn"),  # words with a dot are re-cased too
        ("JOHN Q. PUBLIC JR.", "John Q. Public Jr."),
        ("karl weber iii", "Karl Weber III"),
        ("anna berg phd", "Anna Berg PhD"),
        ("joao do amaral", "Joao do Amaral"),
        ("Yusuf ben Ali", "Yusuf ben Ali"),  # lower case as written in a mixed-case name
    ],
)
def test_full_names_are_re_cased(text: str, expected: str) -> None:
    assert _row(full=text)["full_name"] == expected


def test_initials_are_re_cased() -> None:
    assert proper_case("e.t.") == "E.T."
    assert proper_case("Ph.D.") == "Ph.D."


@pytest.mark.parametrize(
    ("text", "first", "last"),
    [
        ("King Jason", "Jason", "King"),  # an export writing the surname first
        ("KING Jason", "Jason", "King"),  # a surname in capitals, re-cased
        ("Prince Harry", "Harry", "Prince"),
        ("Sir Alan", "Alan", None),  # a courtesy title before a given name stays a title
        ("Mr. Jason King", "Jason", "King"),
    ],
)
def test_a_title_word_before_one_given_name_is_its_surname(text: str, first: str, last: str | None) -> None:
    """King, Bishop, Judge, Prince are common surnames as well as titles: a name is never left
    without its only possible surname (at a million rows, "King Jason" lost his and the golden
    record failed the "last name or company" gate)."""
    assert split_full_name(text) == (first, last)


@pytest.mark.parametrize("name", ["Don", "Earl", "Duke"])
def test_given_names_that_are_also_titles_stay_names(name: str) -> None:
    assert standardise_name_part(name) == (name, "valid")


def test_the_full_name_fills_the_part_a_row_lacks() -> None:
    row = _row(first="John", full="John Baker")
    assert (row["last_name"], row["last_name_status"], row["full_name"]) == (
        "Baker",
        "inferred",
        "John Baker",
    )
    row = _row(last="Baker", full="Mr. John A. Baker")
    assert (row["first_name"], row["first_name_status"], row["full_name"]) == (
        "John",
        "inferred",
        "John A. Baker",
    )


def test_a_full_name_that_says_otherwise_than_the_parts_stays_its_own() -> None:
    row = _row(first="John", last="Baker", full="Johnny Baker")
    assert (row["first_name"], row["last_name"], row["full_name"]) == ("John", "Baker", "Johnny Baker")


PLAIN = st.sampled_from(["Anna", "Maria", "José", "O'Neil", "Anna-Lena", "Schulz", "Li", "J.", "LEE"])


@given(
    st.lists(PLAIN, min_size=1, max_size=4),
    st.sampled_from(["", "Dr. ", "Mr ", "Prof. Dr. ", "Frau "]),
    st.sampled_from(["", " Jr.", " III", " PhD", ", Jr."]),
    st.booleans(),
)
def test_plain_names_split_as_nameparser_splits_them(
    words: list[str], title: str, suffix: str, comma: bool
) -> None:
    """Plain names skip nameparser (it is slow); they must come out as it would split them."""
    text = f"{words[-1]}, {title}{' '.join(words[:-1])}" if comma else f"{title}{' '.join(words)}{suffix}"
    reference = HumanName(text)
    parsed = parse_full_name(text)
    if any(w.isupper() for w in words) and not comma:
        return  # "LEE Anna": our own rule, a surname in capitals
    assert (parsed.first or "") == proper_case(reference.first)
    assert (parsed.last or "") == proper_case(reference.last)
    assert (parsed.middle or "") == proper_case(reference.middle)
