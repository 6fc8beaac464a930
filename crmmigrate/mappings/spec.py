"""The mapping format: how a legacy export's columns become canonical columns.

```yaml
mapping:
  key: KundenNr                         # -> source_key (optional)
  columns:
    first_name: Vorname                 # one source column
    address_line1: {join: [Strasse, Hausnummer], sep: " "}   # several joined
    country: {const: DE}                # a constant
    date_of_birth: {column: Geburtstag, format: "%d.%m.%Y"}  # a date format
    newsletter: {column: NL, values: {J: "true", N: "false"}} # a value map
    last_name: {column: Name, split: last}                    # "Müller, Anna" or "Anna Müller"
    mobile_phone: {column: Handy, optional: true}             # empty when the file lacks it
  keep: [Kundengruppe]                  # extra columns carried as custom fields
```
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator


class ColumnRule(BaseModel):
    """How one canonical (or custom) column is filled from the source."""

    model_config = ConfigDict(extra="forbid")

    column: str | None = None
    join: list[str] | None = None
    sep: str = " "
    const: str | None = None
    format: str | None = None  # strptime format for dates
    values: dict[str, str | None] | None = None  # value map applied after reading
    split: Literal["first", "last"] | None = None  # take this part of a full name ("LAST, First" too)
    optional: bool = False  # a missing source column leaves the field empty instead of an error

    @model_validator(mode="after")
    def _one_source(self) -> ColumnRule:
        given = [x for x in (self.column, self.join, self.const) if x is not None]
        if len(given) != 1:
            raise ValueError("give exactly one of 'column', 'join' or 'const'")
        return self

    def source_columns(self) -> list[str]:
        if self.column is not None:
            return [self.column]
        return list(self.join or [])


class MappingSpec(BaseModel):
    """A whole mapping: canonical name -> rule, the legacy key column, extra columns to keep."""

    model_config = ConfigDict(extra="forbid")

    name: str | None = None
    description: str | None = None
    key: str | None = None
    columns: dict[str, ColumnRule] = Field(default_factory=dict)
    keep: list[str] = Field(default_factory=list)

    @model_validator(mode="before")
    @classmethod
    def _short_forms(cls, data: object) -> object:
        """`first_name: Vorname` is short for `first_name: {column: Vorname}`."""
        if isinstance(data, dict) and isinstance(data.get("columns"), dict):
            data = dict(data)
            data["columns"] = {
                k: ({"column": v} if isinstance(v, str) else v) for k, v in data["columns"].items()
            }
        return data
