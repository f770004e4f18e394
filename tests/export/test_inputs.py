"""Hostile or mistyped export inputs: one line naming the option, file, line or symbol, exit
status 2 (the CLI's code for a bad input), no traceback and no folder (issue 20, item 8 and its
siblings)."""

from __future__ import annotations

import os
import threading
import time

import pytest
from click.testing import CliRunner

from rotation.cli import main
from rotation.errors import ConfigError, InputError
from rotation.export import ExportOptions, read_positions
from tests.helpers import CONFIGS

CONFIG = str(CONFIGS / "capital_scarcity.yaml")
BASE = ["export", CONFIG, "--asof", "2026-07-13", "--allow-missing", "BAA10Y"]
BASE += ["--allow-missing", "WTREGEN", "--tool", "generic"]


def _refused(tmp_path, *args):
    """Run the export; check it stopped cleanly with status 2 and wrote nothing."""
    outcome = CliRunner().invoke(main, [*BASE, *args, "--out", str(tmp_path / "out")])
    assert outcome.exit_code == 2, outcome.output
    assert isinstance(outcome.exception, SystemExit)  # not the last-resort handler
    assert "Traceback" not in outcome.output
    lines = outcome.output.strip().splitlines()
    assert len(lines) == 1, outcome.output
    assert not (tmp_path / "out").exists()
    return lines[0]


@pytest.mark.parametrize(
    ("flag", "value"),
    [
        ("--equity", "nan"), ("--equity", "inf"), ("--equity", "-inf"), ("--equity", "0"),
        ("--equity", "-100"), ("--equity", "1e308"), ("--cash", "nan"), ("--cash", "inf"),
        ("--cash", "-5"), ("--cash", "1e13"), ("--min-trade", "nan"), ("--min-trade", "inf"),
        ("--min-trade", "-1"), ("--drift-band", "nan"), ("--drift-band", "inf"),
        ("--drift-band", "-0.1"), ("--drift-band", "2"),
    ],
)  # fmt: skip
def test_a_non_finite_or_out_of_range_amount_names_the_option(tmp_path, flag, value):
    """``--equity nan`` and ``inf`` (and ``--cash``) crashed with a ValueError/OverflowError
    traceback, ``1e308`` too; ``--min-trade inf`` and ``--drift-band inf`` silently traded
    nothing; the rest exited 1."""
    extra = [] if flag in ("--equity", "--cash") else ["--equity", "1000"]
    line = _refused(tmp_path, flag, value, *extra)
    assert line.startswith(f"config error: {flag} ")
    assert "expected a finite number" in line


def test_the_options_are_checked_in_the_library_too():
    with pytest.raises(ConfigError, match="--equity nan"):
        ExportOptions(equity=float("nan"))
    with pytest.raises(ConfigError, match="--cash inf"):
        ExportOptions(cash=float("inf"))
    with pytest.raises(ConfigError, match="--max-age-days must be >= 0"):
        ExportOptions(max_age_days=-1)
    assert ExportOptions(equity=1e12, drift_band=1.0).equity == 1e12


def _positions(tmp_path, text, name="positions.csv"):
    path = tmp_path / name
    path.write_text(text)
    return path


@pytest.mark.parametrize(
    ("row", "expected"),
    [
        ("MU,1e400", "line 2: quantity 1e400 of MU is out of range (at most 1e+12)"),
        ("MU,1e300", "line 2: quantity 1e300 of MU is out of range (at most 1e+12)"),
        ("MU,inf", "line 2: quantity 'inf' of MU is not a number"),
        (",5", "line 2: empty symbol"),
        ("MU,ten", "line 2: quantity 'ten' of MU is not a number"),
        ("MU,-1", "line 2: negative quantity -1 of MU (short positions are not supported)"),
        ("\x1b[2JMU,1", "line 2: symbol '\\x1b[2JMU' has control characters"),
    ],
)
def test_a_bad_positions_row_is_one_line_naming_file_line_and_symbol(tmp_path, row, expected):
    """``MU,1e400`` crashed (ValueError traceback); ``MU,1e300`` exported orders to sell 1e300
    shares; a symbol with escape codes was echoed raw to the terminal; all exited 1 or 0."""
    path = _positions(tmp_path, f"symbol,quantity\n{row}\n")
    line = _refused(tmp_path, "--positions", str(path), "--cash", "0")
    assert line == f"config error: bad positions file: {path} {expected}"
    assert "\x1b" not in line


def test_duplicate_symbols_in_positions_name_both_lines(tmp_path):
    path = _positions(tmp_path, "symbol,quantity\nMU,1\nBIL,2\nmu,3\n")
    line = _refused(tmp_path, "--positions", str(path), "--cash", "0")
    assert (
        line == f"config error: bad positions file: {path} line 4: mu is already listed on line 2"
    )


def test_a_positions_path_that_is_not_a_regular_file_is_never_read(tmp_path):
    with pytest.raises(InputError, match="positions file not a regular file"):
        read_positions(tmp_path, ["MU"])  # a folder (the CLI's option type refuses it first)
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    stop = time.monotonic() + 5
    done = threading.Event()

    def writer():  # lets a reader that opens the FIFO finish (the code before this change did)
        while not done.is_set() and time.monotonic() < stop:
            try:
                os.close(os.open(fifo, os.O_WRONLY | os.O_NONBLOCK))
            except OSError:
                time.sleep(0.01)

    thread = threading.Thread(target=writer, daemon=True)
    thread.start()
    try:
        line = _refused(tmp_path, "--positions", str(fifo), "--cash", "0")
    finally:
        done.set()
    assert line == f"config error: {fifo}: positions file not a regular file"


def test_an_oversized_positions_file_is_refused_before_it_is_read(tmp_path):
    path = _positions(tmp_path, "symbol,quantity\nMU,1\n" + "#" * 10_000_001 + "\n")
    line = _refused(tmp_path, "--positions", str(path), "--cash", "0")
    assert line.startswith(f"config error: {path}: positions file is 10,000,02")
    assert "over the 10,000,000" in line
