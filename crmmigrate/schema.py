"""The canonical schema: one place for the column names of the staged, clean and golden sets.

Mappings target these names; every later stage reads them. Other tools (scripts, CI jobs,
benchmarks) rely on them too, so names are only ever added, never renamed.
"""

from __future__ import annotations

from enum import Enum

#: Lineage columns every staged row carries.
LINEAGE = ("source", "source_row", "source_key")

#: The customer fields a mapping can fill (custom fields may be added beside them).
FIELDS = (
    "first_name",
    "last_name",
    "full_name",
    "company",
    "email",
    "phone",
    "address_line1",
    "address_line2",
    "city",
    "region",
    "postal_code",
    "country",
    "date_of_birth",
    "created_at",
    "updated_at",
)

#: Staged rows: lineage then fields.
STAGED_COLUMNS = LINEAGE + FIELDS

#: Fields whose value is a date (ISO 8601 once standardised).
DATE_FIELDS = ("date_of_birth", "created_at", "updated_at")

#: Extra columns the standardisers derive (beside `<field>`, `<field>_raw`, `<field>_status`).
DERIVED_COLUMNS = (
    "phone_type",  # mobile, fixed_line, fixed_line_or_mobile, voip, toll_free, ... or None
    "phone_timezone",  # IANA zone derived from the number, e.g. Europe/Berlin
    "phone_extension",  # an extension given with the number (ext. 12, x12, #12)
    "first_name_match",  # canonical first name for matching only (Bob -> robert)
    "email_role",  # True for role accounts such as info@ or sales@
)

#: Longest value a field may hold (the CRM store's column sizes). The standardiser truncates a
#: longer value with status `fixed`, keeping the whole original in `<field>_raw`.
DEFAULT_MAX_LENGTH = 255
FIELD_MAX_LENGTH: dict[str, int] = {
    "full_name": 512,
    "company": 512,
    "email": 320,
    "phone": 100,
    "address_line1": 512,
    "address_line2": 512,
    "postal_code": 100,
    "country": 100,
    "date_of_birth": 64,
    "created_at": 64,
    "updated_at": 64,
}


def max_length(field: str) -> int:
    return FIELD_MAX_LENGTH.get(field, DEFAULT_MAX_LENGTH)


#: Golden rows: the stable id, the household it belongs to, then the fields.
GOLDEN_ID_COLUMNS = ("customer_id", "household_id")
GOLDEN_COLUMNS = GOLDEN_ID_COLUMNS + FIELDS

#: Cross-reference output columns. `source_id` is the identity of a row without a legacy key
#: (`~` and a digest of its values; empty for keyed rows): what the store and later runs know it by.
XREF_COLUMNS = ("source", "source_row", "source_key", "customer_id", "match_score", "source_id")

#: Rejects output: these first, then the raw values of the row.
REJECT_COLUMNS = ("source", "source_row", "reason", "detail")


class Status(str, Enum):
    """Outcome of standardising one value; stored in `<field>_status`."""

    VALID = "valid"  # already in standard form
    FIXED = "fixed"  # changed into standard form
    INFERRED = "inferred"  # was empty, derived from another field
    INVALID = "invalid"  # present but unusable; the standard column is empty
    MISSING = "missing"  # empty in the source


STATUSES = tuple(s.value for s in Status)


class Reason(str, Enum):
    """Why a row was rejected; the reason column of rejects.csv and the reconciliation report."""

    PARSE_ERROR = "parse_error"  # the reader could not split the line into fields
    FIELD_COUNT = "field_count"  # wrong number of fields on the line
    ENCODING = "encoding"  # undecodable bytes
    EMPTY_ROW = "empty_row"  # no customer data at all
    NO_IDENTITY = "no_identity"  # no name, company, email, phone, birth date or street address
    MAPPING_ERROR = "mapping_error"  # a value could not be mapped (bad value map, bad date format)
    DUPLICATE_KEY = "duplicate_key"  # the same source key twice in one source with different data
    SUPPRESSED = "suppressed"  # on the privacy suppression list
    NOT_SAMPLED = "not_sampled"  # left out of a pilot run (`run --sample`)


def raw_column(field: str) -> str:
    return f"{field}_raw"


def status_column(field: str) -> str:
    return f"{field}_status"
