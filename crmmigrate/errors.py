"""Typed errors raised deep in the library and translated once, at the CLI edge, into a message
and an exit code (0 ok, 1 data-quality gate, 2 usage or unusable input)."""

from __future__ import annotations

EXIT_OK = 0
EXIT_GATE = 1
EXIT_USAGE = 2
#: Anything that is not one of ours is a bug: its own code (EX_SOFTWARE), never 1 ("the gate failed").
EXIT_INTERNAL = 70
#: Ctrl-C (128 + SIGINT), as shells report it.
EXIT_INTERRUPTED = 130


class CrmMigrateError(Exception):
    """Base of every error a user can act on. `hint` says what to do about it."""

    exit_code = EXIT_USAGE

    def __init__(
        self,
        message: str,
        *,
        hint: str | None = None,
        file: str | None = None,
        row: int | None = None,
        column: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint
        self.file = file
        self.row = row
        self.column = column

    def where(self) -> str:
        """`file, row 3, column 'email'` for the parts that are known."""
        parts = []
        if self.file:
            parts.append(str(self.file))
        if self.row is not None:
            parts.append(f"row {self.row}")
        if self.column:
            parts.append(f"column {self.column!r}")
        return ", ".join(parts)

    def __str__(self) -> str:
        where = self.where()
        return f"{where}: {self.message}" if where else self.message


class ConfigError(CrmMigrateError):
    """The run configuration is wrong (YAML syntax, unknown key, bad value, missing file)."""


class InputError(CrmMigrateError):
    """A source cannot be used at all (missing, empty, undecodable, unknown format)."""


class MappingError(CrmMigrateError):
    """A mapping does not fit its source (unknown template, mapped column missing)."""


class StoreError(CrmMigrateError):
    """The CRM store cannot be reached or used (messages never contain a password)."""


class OutputError(CrmMigrateError):
    """An output file could not be written (a full disk, a read-only folder)."""


class NotFoundError(CrmMigrateError):
    """What a command was asked to act on is not there (`forget` of someone not in the store)."""

    exit_code = EXIT_GATE


class GateError(CrmMigrateError):
    """A data-quality gate failed: validation errors or an unbalanced reconciliation. Commands raise
    it after printing their report; the CLI prints `gate failed: <message>` and exits 1, the one
    exit code that means "the data did not pass"."""

    exit_code = EXIT_GATE


class RunInterrupted(KeyboardInterrupt):
    """Ctrl-C during a run, saying what state it left the store and `out/` in. A KeyboardInterrupt
    still, so that code catching those catches it; the CLI prints it and exits 130."""

    exit_code = EXIT_INTERRUPTED

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return self.message
