"""The command line starts instantly: its root and its config checks load no numerical stack."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import click
import pytest

from rotation.cli import COMMANDS, main

HEAVY = ("pandas", "numpy", "vectorbt", "scipy", "matplotlib", "plotly", "numba")

# runs the click main in a fresh interpreter and prints the heavy top-level modules it loaded
PROBE = textwrap.dedent(
    """
    import sys
    from rotation.cli import main
    try:
        main(sys.argv[1:], standalone_mode=False)
    except SystemExit:
        pass
    heavy = {heavy!r}
    print(sorted(m for m in sys.modules if m in heavy))
    """
).format(heavy=HEAVY)


def _heavy_modules_after(*args: str, cwd=None) -> tuple[list[str], str, str]:
    """(heavy modules loaded, stdout before the probe's line, stderr) of ``rotation ARGS``."""
    done = subprocess.run(
        [sys.executable, "-c", PROBE, *args], capture_output=True, text=True, cwd=cwd, check=True
    )
    *output, last = done.stdout.strip().splitlines()
    return eval(last), "\n".join(output), done.stderr  # the probe prints a list of names


def test_help_imports_no_numerical_library():
    loaded, output, _ = _heavy_modules_after("--help")
    assert loaded == []
    for name in COMMANDS:
        assert name in output  # every command is listed, with its short help


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_each_command_help_imports_no_numerical_library(command):
    loaded, output, _ = _heavy_modules_after(command, "--help")
    assert loaded == []
    assert "Usage:" in output


def test_a_config_error_imports_no_numerical_library(tmp_path):
    (tmp_path / "x.yaml").write_text("name: x\nbogus: 1\n")
    loaded, _, errors = _heavy_modules_after("backtest", "x.yaml", cwd=tmp_path)
    assert "config error: x.yaml: unknown key 'bogus'" in errors
    assert loaded == []


def test_every_lazy_command_loads_as_a_click_command():
    ctx = click.Context(main)
    for name in COMMANDS:
        assert isinstance(main.get_command(ctx, name), click.Command)
    assert main.list_commands(ctx) == sorted(COMMANDS)
