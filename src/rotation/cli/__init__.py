"""The ``rotation`` command line: a thin layer over the library.

Each command parses its options, calls one library function and prints. Options default to
None so a flag not given never overrides the config. Errors of the project's own types are
printed as one line (no traceback, control characters shown escaped: ``errors.printable``) and
exit with status 2 (config errors) or 1. Ctrl-C (SIGINT)
prints ``interrupted`` and exits with status 130; whatever was being written is not left
looking complete (see ``rotation.runs``).

The commands are loaded lazily (click's ``LazyGroup`` pattern): ``COMMANDS`` lists them,
``_load`` imports the module of one when it is asked for, and each command module imports only
click at the top; the library (pandas, numba, plotly...) is imported inside the command
functions. So ``rotation --help``
and a config error cost milliseconds, not the seconds the numerical stack takes to import.
"""

from __future__ import annotations

import sys
import warnings
from types import ModuleType
from typing import Any, NoReturn, TextIO

import click

from rotation.errors import ConfigError, RotationError, printable


def _show_warning(
    message: Warning | str,
    category: type[Warning],
    filename: str,
    lineno: int,
    file: TextIO | None = None,
    line: str | None = None,
) -> None:
    """Warnings (stale cache, provider fallbacks) as one plain line on stderr."""
    click.echo(f"warning: {printable(message)}", err=True)


COMMANDS = (
    "backtest", "check", "compare", "data", "export", "report", "signals", "strategies", "sweep",
    "thesis", "walkforward",
)  # fmt: skip


def _load(name: str) -> click.Command:
    """The click command ``name``, its module imported now (a command is an attribute of the
    same name of its module)."""
    module: ModuleType
    if name in ("backtest", "strategies"):
        from rotation.cli import backtest as module
    elif name == "check":
        from rotation.cli import check as module
    elif name == "data":
        from rotation.cli import data as module
    elif name == "export":
        from rotation.cli import export as module
    elif name == "report":
        from rotation.cli import report as module
    elif name == "signals":
        from rotation.cli import signals as module
    elif name in ("compare", "sweep"):
        from rotation.cli import sweep as module
    elif name == "thesis":
        from rotation.cli import thesis as module
    elif name == "walkforward":
        from rotation.cli import walkforward as module
    else:
        raise KeyError(name)
    command: click.Command = getattr(module, name)
    return command


class _Group(click.Group):
    """The root group: loads its commands on demand and turns the project's errors and Ctrl-C
    into one line and an exit status."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *COMMANDS})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in COMMANDS:
            return super().get_command(ctx, cmd_name)
        try:
            return _load(cmd_name)
        except KeyboardInterrupt:
            _interrupted()

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except Exception as exc:
            if _interrupt_in_chain(exc):
                # Ctrl-C landed inside a library (often a lazy import) that raised another
                # error while handling it: it is still the user's interrupt, not a crash
                _interrupted()
            if isinstance(exc, ConfigError):
                click.echo(f"config error: {printable(exc)}", err=True)
                sys.exit(2)
            if isinstance(exc, RotationError):
                click.echo(f"error: {printable(exc)}", err=True)
                sys.exit(1)
            if isinstance(exc, click.ClickException):  # click prints it: made safe first
                setattr(exc, "message", printable(exc.message))  # noqa: B010 (typed Final)
            raise
        except KeyboardInterrupt:
            _interrupted()


def _interrupt_in_chain(exc: BaseException) -> bool:
    """Whether a KeyboardInterrupt is among the exceptions ``exc`` was raised while handling."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        if isinstance(current, KeyboardInterrupt):
            return True
        seen.add(id(current))
        current = current.__cause__ or current.__context__
    return False


def _interrupted() -> NoReturn:
    click.echo("interrupted", err=True)
    sys.exit(130)  # 128 + SIGINT, as shells report it


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="rotation")
def main() -> None:
    """Backtest portfolio rotations on a point-in-time capital-scarcity regime."""


def entry() -> None:
    """The ``rotation`` console script: ``main`` with warnings printed as plain lines."""
    warnings.showwarning = _show_warning
    main()
