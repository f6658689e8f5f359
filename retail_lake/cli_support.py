"""What every ``retail-lake`` command shares: consoles, choices, errors, progress.

A user's mistake on the command line must be one line on stderr and a non-zero
exit, never a traceback; :func:`run_app` and :func:`fail` are the two places that
turn errors into that line.
"""

from __future__ import annotations

import datetime as dt
import sys
from enum import StrEnum

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

from retail_lake import dates
from retail_lake.config import PLATFORMS, SOURCES, ConfigError, Settings, build_settings

try:  # typer releases that vendor click keep its exceptions here
    from typer._click.exceptions import ClickException, NoArgsIsHelpError, UsageError
except ImportError:  # pragma: no cover - typer on top of click
    from click.exceptions import ClickException, NoArgsIsHelpError, UsageError

console = Console(stderr=True)
out = Console()

SourceChoice = StrEnum("SourceChoice", [(s, s) for s in SOURCES])
PlatformChoice = StrEnum("PlatformChoice", [(p, p) for p in PLATFORMS])
AwsPlatformChoice = StrEnum("AwsPlatformChoice", [(p, p) for p in PLATFORMS if p != "local"])
"""Options with a fixed set of values: typer lists the choices in ``--help`` and
refuses anything else with a one-line usage error."""


def date_option(text: str, what: str = "date") -> dt.date:
    """:func:`retail_lake.dates.parse_date` as a typer usage error (one line, exit 2)."""
    try:
        return dates.parse_date(text, what)
    except ValueError as exc:
        raise typer.BadParameter(str(exc)) from None


def fail(message: str, code: int = 1) -> typer.Exit:
    console.print(f"[bold red]error:[/] {message}", highlight=False, soft_wrap=True)
    return typer.Exit(code)


def settings_from(**values: object) -> Settings:
    try:
        return build_settings(values)
    except ConfigError as exc:
        raise fail(str(exc), 2) from None


def progress_bar() -> Progress:
    return Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        TextColumn("{task.completed}/{task.total}"),
        TimeElapsedColumn(),
        console=console,
        transient=False,
    )


def run_app(app: typer.Typer) -> None:
    """The ``retail-lake`` entry point: a user's mistake on the command line (a missing
    option, a value not among the choices) is one line on stderr and exit status 2."""
    try:
        outcome = app(standalone_mode=False)
    except NoArgsIsHelpError as exc:  # a bare command: show what it can do
        print(exc.ctx.get_help() if exc.ctx else "see retail-lake --help")
        sys.exit(2)
    except UsageError as exc:
        command = exc.ctx.command_path if exc.ctx else "retail-lake"
        print(f"{command}: error: {exc.format_message()} (see --help)", file=sys.stderr)
        sys.exit(exc.exit_code)
    except ClickException as exc:
        print(f"retail-lake: error: {exc.format_message()}", file=sys.stderr)
        sys.exit(exc.exit_code)
    except KeyboardInterrupt:
        sys.exit(130)
    sys.exit(outcome if isinstance(outcome, int) else 0)
