"""Options of the standardise stage (`standardise:` in the config)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class StandardiseOptions(BaseModel):
    model_config = ConfigDict(extra="forbid")

    default_country: str | None = None  # ISO alpha-2 (or any country form) for national numbers
    phone: bool = True
    country: bool = True
    address: bool = True
    name: bool = True
    email: bool = True
    date: bool = True
    fix_email_typos: bool = True
    workers: int | None = None  # processes for large inputs; None = all cores
    day_first: bool | None = None  # date order when a column's values leave it open; None = by country
