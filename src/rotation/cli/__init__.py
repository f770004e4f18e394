"""The ``rotation`` command line: a thin layer over the library.

Each command parses its options, calls one library function and prints. Options default to
None so a flag not given never overrides the config. Errors of the project's own types are
printed as one line (no traceback) and exit with status 1.
"""

from __future__ import annotations

import sys

import click

from rotation.errors import ConfigError, RotationError


class _Group(click.Group):
    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except ConfigError as exc:
            click.echo(f"config error: {exc}", err=True)
            sys.exit(2)
        except RotationError as exc:
            click.echo(f"error: {exc}", err=True)
            sys.exit(1)


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="rotation")
def main() -> None:
    """Backtest portfolio rotations on a point-in-time capital-scarcity regime."""


def _register() -> None:
    from rotation.cli.backtest import backtest, strategies
    from rotation.cli.data import data

    main.add_command(backtest)
    main.add_command(strategies)
    main.add_command(data)


_register()
