"""The steps callback: work says where it stands, to whoever listens."""

from __future__ import annotations

from crmmigrate.progress import tell


def test_tell_passes_where_the_work_stands_to_the_listener() -> None:
    heard: list[tuple] = []
    tell(lambda *where: heard.append(where), 40, 100, "crm")
    tell(lambda *where: heard.append(where), 2, 7, "comparing", unit="steps")
    assert heard == [(40, 100, "crm", "rows"), (2, 7, "comparing", "steps")]


def test_without_a_listener_the_work_goes_on_alone() -> None:
    tell(None, 40, 100, "crm")  # nothing to call, nothing raised
