"""The ``rotation`` command line: a thin layer over the library.

Each command parses its options, calls one library function and prints. Options default to
None so a flag not given never overrides the config. Errors of the project's own types are
printed as one line (no traceback) and exit with status 2 (config errors) or 1. Ctrl-C (SIGINT)
prints ``interrupted`` and exits with status 130; whatever was being written is not left
looking complete (see ``rotation.runs``).
"""

from __future__ import annotations

import sys
import warnings

import click

from rotation.errors import ConfigError, RotationError


def _show_warning(message, category, filename, lineno, file=None, line=None) -> None:
    """Warnings (stale cache, provider fallbacks) as one plain line on stderr."""
    click.echo(f"warning: {message}", err=True)


class _Group(click.Group):
    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except Exception as exc:
            if _interrupt_in_chain(exc):
                # Ctrl-C landed inside a library (often a lazy import) that raised another
                # error while handling it: it is still the user's interrupt, not a crash
                _interrupted()
            if isinstance(exc, ConfigError):
                click.echo(f"config error: {exc}", err=True)
                sys.exit(2)
            if isinstance(exc, RotationError):
                click.echo(f"error: {exc}", err=True)
                sys.exit(1)
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


def _interrupted() -> None:
    click.echo("interrupted", err=True)
    sys.exit(130)  # 128 + SIGINT, as shells report it


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="rotation")
def main() -> None:
    """Backtest portfolio rotations on a point-in-time capital-scarcity regime."""


def _register() -> None:
    from rotation.cli.backtest import backtest, strategies
    from rotation.cli.check import check
    from rotation.cli.data import data
    from rotation.cli.export import export
    from rotation.cli.report import report
    from rotation.cli.signals import signals
    from rotation.cli.sweep import compare, sweep
    from rotation.cli.walkforward import walkforward

    main.add_command(backtest)
    main.add_command(strategies)
    main.add_command(data)
    main.add_command(compare)
    main.add_command(sweep)
    main.add_command(export)
    main.add_command(report)
    main.add_command(signals)
    main.add_command(check)
    main.add_command(walkforward)


try:  # importing the commands (vectorbt, numba) takes seconds: Ctrl-C then is no crash either
    _register()
except KeyboardInterrupt:
    _interrupted()


def entry() -> None:
    """The ``rotation`` console script: ``main`` with warnings printed as plain lines."""
    warnings.showwarning = _show_warning
    main()
