"""The ``rotation`` command line: a thin layer over the library.

Each command parses its options, calls one library function and prints (through
``rotation.cli._options.Output``: ``--json`` and ``-q`` mean the same everywhere). Options
default to None so a flag not given never overrides the config.

Errors are one line on stderr, without a traceback (control characters shown escaped:
``errors.printable``), and the exit status is the same for the
same kind of failure in every command (``_options.EXIT_CODES``):

    0    ok
    1    a check failed, or a run could not be done (``error: ...``: data, strategy, files)
    2    usage or config error (``usage error: ...`` for options and arguments,
         ``config error: ...`` for a config file or a bad value such as an unknown metric)
    130  interrupted: Ctrl-C (SIGINT) prints ``interrupted``; whatever was being written is
         not left looking complete (see ``rotation.runs``)

Anything else is a bug of ``rotation``: the last-resort handler prints ``rotation: internal
error: <type>: <message>`` and a hint on one more line, and exits with status 1
(``ROTATION_DEBUG=1`` shows the traceback instead).

The commands are loaded lazily (click's ``LazyGroup`` pattern): ``COMMANDS`` lists them,
``_load`` imports the module of one when it is asked for, and each command module imports only
click at the top; the library (pandas, numba, plotly...) is imported inside the command
functions. So ``rotation --help``
and a config error cost milliseconds, not the seconds the numerical stack takes to import.
"""

from __future__ import annotations

import os
import sys
import warnings
from types import ModuleType
from typing import Any, NoReturn, TextIO

import click

from rotation.cli._options import EXIT_FAILED, EXIT_INTERRUPTED, EXIT_USAGE
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
    "backtest", "check", "compare", "data", "export", "report", "runs", "signals", "strategies",
    "sweep", "thesis", "trade", "walkforward",
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
    elif name == "runs":
        from rotation.cli import runs as module
    elif name in ("compare", "sweep"):
        from rotation.cli import sweep as module
    elif name == "thesis":
        from rotation.cli import thesis as module
    elif name == "trade":
        from rotation.cli import trade as module
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

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        try:
            return super().parse_args(ctx, args)
        except click.UsageError as exc:
            _usage_error(exc)

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except Exception as exc:
            if _interrupt_in_chain(exc):
                # Ctrl-C landed inside a library (often a lazy import) that raised another
                # error while handling it: it is still the user's interrupt, not a crash
                _interrupted()
            if isinstance(exc, click.UsageError):
                _usage_error(exc)
            if isinstance(exc, ConfigError):
                click.echo(f"config error: {printable(exc)}", err=True)
                sys.exit(EXIT_USAGE)
            if isinstance(exc, RotationError):
                click.echo(f"error: {printable(exc)}", err=True)
                sys.exit(EXIT_FAILED)
            if isinstance(exc, click.ClickException):  # click prints it: made safe first
                setattr(exc, "message", printable(exc.message))  # noqa: B010 (typed Final)
            if isinstance(exc, click.ClickException | click.exceptions.Exit | click.Abort):
                raise  # click's own: usage errors (status 2), --help, aborted prompts
            _internal_error(exc)
        except KeyboardInterrupt:
            _interrupted()


DEBUG_VARIABLE = "ROTATION_DEBUG"


def _internal_error(exc: Exception) -> NoReturn:
    """The last resort: an exception no code of ``rotation`` expected is a bug. One line naming
    it and a hint, exit status 1; with ROTATION_DEBUG=1 in the environment, the traceback."""
    if os.environ.get(DEBUG_VARIABLE, "") not in ("", "0"):
        raise exc
    first_line = (str(exc).strip().splitlines() or [""])[0][:300]
    click.echo(f"rotation: internal error: {type(exc).__name__}: {first_line}", err=True)
    click.echo(
        f"  this is a bug in rotation; re-run with {DEBUG_VARIABLE}=1 for the traceback and "
        "report it with the command that caused it",
        err=True,
    )
    sys.exit(1)


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


def _usage_error(exc: click.UsageError) -> NoReturn:
    """A bad option or argument: click's usage line and hint, then ``usage error: ...`` (the
    one prefix style of every error), exit status 2."""
    if isinstance(exc, click.exceptions.NoArgsIsHelpError):  # a bare group: its help
        exc.show()
        sys.exit(EXIT_USAGE)
    if exc.ctx is not None:
        hint = f"Try '{exc.ctx.command_path} {exc.ctx.help_option_names[0]}' for help."
        click.echo(f"{exc.ctx.get_usage()}\n{hint}\n", err=True)
    click.echo(f"usage error: {exc.format_message()}", err=True)
    sys.exit(EXIT_USAGE)


def _interrupted() -> NoReturn:
    click.echo("interrupted", err=True)
    sys.exit(EXIT_INTERRUPTED)


@click.group(
    cls=_Group,
    context_settings={"help_option_names": ["-h", "--help"]},
    epilog="""\b
Output for scripts: --json prints one JSON document on stdout (notes and
progress go to stderr); -q prints only errors and the folders written.
\b
Exit status, the same for every command:
  0    ok
  1    a check failed, or a run could not be done (data, strategy, files)
  2    usage or config error
  130  interrupted (Ctrl-C)
\b
Shell completion (bash; zsh and fish: zsh_source, fish_source):
  eval "$(_ROTATION_COMPLETE=bash_source rotation)"
""",
)
@click.version_option(package_name="rotation")
def main() -> None:
    """Backtest portfolio rotations on a point-in-time capital-scarcity regime."""


def entry() -> None:
    """The ``rotation`` console script: ``main`` with warnings printed as plain lines."""
    warnings.showwarning = _show_warning
    main()
