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
from ..errors import EXIT_INTERNAL, EXIT_USAGE, ConfigError, CrmMigrateError, GateError

console = Console(stderr=False, highlight=False)
err_console = Console(stderr=True, highlight=False)

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
        except KeyboardInterrupt:
            err_console.print("interrupted")
            raise typer.Exit(130) from None
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


def load_run_config(
    config_path: Path | None, *, store: str | None = None, out: Path | None = None
) -> RunConfig:
    """The run config (default ./crmmigrate.yml), with --store and --out taking precedence."""
    config = load_config(config_path or Path(DEFAULT_CONFIG))
    if store:
        config.store = store
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
