"""Write a set of legacy exports with their ground truth, at any size, streaming in chunks.

Customers are drawn chunk by chunk from a generator seeded with (seed, chunk number), so a
set is reproducible and memory stays bounded however many customers are asked for. Within a
chunk each export's rows are ordered by the moment the record was created, as systems list them.
"""

from __future__ import annotations

import csv
import random
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import CrmMigrateError
from .exports import ERP_HEADER, SALESFORCE_HEADER, WEBSHOP_HEADER, Renderers, Row
from .locales import DATA_FILE, reference
from .population import Population
from .variants import SOURCES, Variator, appearances

CHUNK = 5000
FILES = {
    "salesforce": "salesforce_contacts.csv",
    "webshop": "webshop_customers.csv",
    "erp": "erp_kunden.csv",
}
GROUND_TRUTH = "ground_truth.csv"
GROUND_TRUTH_HEADER = ("source", "source_row", "source_key", "person_id")
CONFIG = "crmmigrate.yml"
CONFIG_TEMPLATE = DATA_FILE.with_name("samples_crmmigrate.yml")
SF_ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"


@dataclass(frozen=True)
class SampleSet:
    """What `generate` wrote: the files and how many customers and rows they hold."""

    out_dir: Path
    seed: int
    customers: int
    rows: dict[str, int]  # source name -> records in its export
    duplicated: int  # customers with more than one record
    households: int  # households of two or more customers
    files: dict[str, Path] = field(default_factory=dict)  # source names, ground_truth, config

    @property
    def total_rows(self) -> int:
        return sum(self.rows.values())


def salesforce_id(number: int) -> str:
    """An 18-character Contact id: 15 characters and the case-safe checksum Salesforce appends."""
    digits = ""
    for _ in range(5):
        number, rest = divmod(number, 62)
        digits = SF_ALPHABET[rest] + digits
    core = "0035g00000" + digits
    suffix = ""
    for i in range(0, 15, 5):
        bits = sum(1 << j for j, c in enumerate(core[i : i + 5]) if "A" <= c <= "Z")
        suffix += "ABCDEFGHIJKLMNOPQRSTUVWXYZ012345"[bits]
    return core + suffix


def _keys(rng: random.Random) -> dict[str, Iterator[str]]:
    """Legacy keys in file order: increasing, with the gaps deleted records leave."""

    def counter(start: int, gap: int, make: Callable[[int], str]) -> Iterator[str]:
        n = start
        while True:
            yield make(n)
            n += rng.randint(1, gap)

    return {
        "salesforce": counter(3_100_000 + rng.randrange(100_000), 40, salesforce_id),
        "webshop": counter(10_001, 3, str),
        "erp": counter(100_001, 2, str),
    }


class _Writers:
    """The open export files, each in its system's encoding, delimiter and quoting."""

    def __init__(self, out_dir: Path, stack: ExitStack) -> None:
        def open_csv(name: str, encoding: str, **fmt: Any) -> Any:
            handle = stack.enter_context(open(out_dir / name, "w", encoding=encoding, newline=""))  # noqa: SIM115
            return csv.writer(handle, **fmt)

        self.exports = {
            "salesforce": open_csv(FILES["salesforce"], "utf-8", quoting=csv.QUOTE_ALL, lineterminator="\n"),
            "webshop": open_csv(FILES["webshop"], "utf-8", lineterminator="\n"),
            "erp": open_csv(FILES["erp"], "cp1252", delimiter=";", lineterminator="\r\n"),
        }
        self.exports["salesforce"].writerow(SALESFORCE_HEADER)
        self.exports["webshop"].writerow(WEBSHOP_HEADER)
        self.exports["erp"].writerow(ERP_HEADER)
        self.truth = open_csv(GROUND_TRUTH, "utf-8", lineterminator="\n")
        self.truth.writerow(GROUND_TRUTH_HEADER)


def generate(customers: int, out_dir: str | Path, *, seed: int = 42) -> SampleSet:
    """Write the three exports, their ground truth and a run config for `customers` customers."""
    if customers < 1:
        raise CrmMigrateError(f"cannot generate {customers} customers", hint="ask for at least 1")
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    ref = reference()
    population = Population(ref)
    variator = Variator(population)
    renderers = Renderers(ref)
    render = {"salesforce": renderers.salesforce, "webshop": renderers.webshop, "erp": renderers.erp}
    rows = dict.fromkeys(SOURCES, 0)
    duplicated = households = 0
    keys = _keys(random.Random(f"crmmigrate-samples:{seed}:keys"))
    with ExitStack() as stack:
        writers = _Writers(out, stack)
        for start in range(0, customers, CHUNK):
            rng = random.Random(f"crmmigrate-samples:{seed}:{start // CHUNK}")
            people = population.draw(rng, start + 1, min(CHUNK, customers - start))
            records: dict[str, list[tuple[Any, str, Row]]] = {s: [] for s in SOURCES}
            logins: set[str] = set()  # shop accounts need distinct e-mail addresses
            for person in people:
                places = appearances(person, rng)
                duplicated += len(places) > 1
                households += person["household"] == f"H{person['pid'][1:]}"
                for i, source in enumerate(places):
                    view = person
                    if i:
                        view = variator.variant(person, rng, same_source=source in places[:i], source=source)
                    if source == "webshop":
                        view = variator.unique_login(view, logins, rng)
                    created, row = render[source](view, rng)
                    records[source].append((created, person["pid"], row))
            for source in SOURCES:
                export = writers.exports[source]
                for _, pid, row in sorted(records[source], key=lambda r: (r[0], r[1])):
                    rows[source] += 1
                    key = next(keys[source])
                    export.writerow([key, *row])
                    writers.truth.writerow([source, rows[source], key, pid])
    config = out / CONFIG
    config.write_text(CONFIG_TEMPLATE.read_text(encoding="utf-8"), encoding="utf-8")
    files = {s: out / FILES[s] for s in SOURCES}
    files.update(ground_truth=out / GROUND_TRUTH, config=config)
    return SampleSet(out, seed, customers, rows, duplicated, households, files)
