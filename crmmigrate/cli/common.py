"""What every command shares: the console, error translation at the edge, and exit codes."""

from __future__ import annotations

import functools
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import typer
from rich.console import Console

from ..config import DEFAULT_CONFIG, ENGINES, RunConfig, load_config
from ..errors import EXIT_INTERNAL, EXIT_INTERRUPTED, EXIT_USAGE, ConfigError, CrmMigrateError, GateError

#: Written to a file or a pipe (cron, CI logs), a line stays one line and a table gets this width
#: (as wide as its content needs, up to it) instead of rich's 80 columns. $COLUMNS still wins.
LOG_WIDTH = 200


def _console(stream: Any) -> Console:
    piped = not stream.isatty()
    width = LOG_WIDTH if piped and not os.environ.get("COLUMNS") else None
    return Console(stderr=stream is sys.stderr, highlight=False, soft_wrap=piped, width=width)


console = _console(sys.stdout)
err_console = _console(sys.stderr)

F = TypeVar("F", bound=Callable[..., Any])


def debug_enabled() -> bool:
    return os.environ.get("CRMMIGRATE_DEBUG", "") not in ("", "0")


def report_error(exc: CrmMigrateError) -> None:
    """One or two lines a person can act on: where, what, and what to do."""
    err_console.print(f"[bold red]error:[/] {escape(exc)}", markup=True, soft_wrap=True, emoji=False)
    if exc.hint:
        err_console.print(f"[dim]hint:[/] {escape(exc.hint)}", soft_wrap=True, emoji=False)


def handle_errors(func: F) -> F:
    """Turn library errors into a message and an exit code; tracebacks only with --debug."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except GateError as exc:  # a verdict on the data, not a fault: no traceback even with --debug
            err_console.print(f"[bold red]gate failed:[/] {escape(exc)}", soft_wrap=True, emoji=False)
            if exc.hint:
                err_console.print(f"[dim]hint:[/] {escape(exc.hint)}", soft_wrap=True, emoji=False)
            raise typer.Exit(exc.exit_code) from None
        except CrmMigrateError as exc:
            if debug_enabled():
                raise
            report_error(exc)
            raise typer.Exit(exc.exit_code) from None
        except KeyboardInterrupt as exc:  # a RunInterrupted says what state the run left
            said = str(exc) or "interrupted"
            err_console.print(f"[bold yellow]{escape(said)}[/]", soft_wrap=True, emoji=False)
            hint = getattr(exc, "hint", None)
            if hint:
                err_console.print(f"[dim]hint:[/] {escape(hint)}", soft_wrap=True, emoji=False)
            raise typer.Exit(EXIT_INTERRUPTED) from None
        except OSError as exc:
            if debug_enabled():
                raise
            where = f"{exc.filename}: " if getattr(exc, "filename", None) else ""
            err_console.print(
                f"[bold red]error:[/] {escape(where)}{escape(exc.strerror or exc)}", soft_wrap=True
            )
            raise typer.Exit(EXIT_USAGE) from None
        except (typer.Exit, typer.Abort, getattr(typer, "TyperException", typer.Exit)):
            raise
        except Exception as exc:  # a bug: say so, never pass it off as a failed gate (exit 1)
            if debug_enabled():
                raise
            err_console.print(
                f"[bold red]internal error:[/] {escape(type(exc).__name__)}: {escape(exc)}\n"
                "rerun with --debug for the traceback, and report it",
                soft_wrap=True,
            )
            raise typer.Exit(EXIT_INTERNAL) from None

    return wrapper  # type: ignore[return-value]


def escape(text: object) -> str:
    """Text safe to print with rich markup on."""
    from rich.markup import escape as _escape

    return _escape(str(text))


def is_interactive() -> bool:
    return sys.stderr.isatty()


#: --schema and --table-prefix, beside --store on every command that opens the store.
SCHEMA_HELP = "The store's schema (PostgreSQL) or database (MariaDB/MySQL); overrides store.schema."
PREFIX_HELP = "Prefix of the store's table names, e.g. crm_; overrides store.table_prefix."


def schema_option() -> Any:
    return typer.Option(None, "--schema", help=SCHEMA_HELP)


def prefix_option() -> Any:
    return typer.Option(None, "--table-prefix", help=PREFIX_HELP)


def load_run_config(
    config_path: Path | None,
    *,
    store: str | None = None,
    out: Path | None = None,
    schema: str | None = None,
    table_prefix: str | None = None,
) -> RunConfig:
    """The run config (default ./crmmigrate.yml), with --store, --schema, --table-prefix and
    --out taking precedence."""
    config = load_config(config_path or Path(DEFAULT_CONFIG))
    if store or schema or table_prefix is not None:
        config.store = config.store_config().overridden(store, schema, table_prefix)
    if out:
        config.out = str(out)
    return config


def choose_engine(config: RunConfig, engine: str | None, spark_master: str | None) -> None:
    """--engine and --spark-master over the config's `engine:` and `spark.master`."""
    if engine is not None:
        if engine not in ENGINES:
            raise ConfigError(f"--engine {engine!r}: choose one of {', '.join(ENGINES)}")
        config.engine = engine  # type: ignore[assignment]
    if spark_master is not None:
        if config.engine != "spark":
            raise ConfigError("--spark-master needs --engine spark (or engine: spark in the config)")
        config.spark.master = spark_master


def require(value: object, option: str, mode: str) -> None:
    """Standalone mode needs some options that config mode does not."""
    if value is None:
        raise ConfigError(f"{option} is required {mode}", hint="see --help for both ways to run this command")
