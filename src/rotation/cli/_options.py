"""Options several commands share, defined once, and the one way a command prints.

Output for scripts
------------------
Every command that offers ``--json`` and ``-q/--quiet`` takes them with ``@output_options()``
and prints only through an ``Output``::

    @click.command()
    @output_options()
    def mycommand(..., as_json: bool, quiet: bool) -> None:
        out = Output(as_json=as_json, quiet=quiet)
        with out.progress("loading data") as progress:   # a spinner on a terminal only
            ...
            progress.stage("simulating")
        out.note("end moved to ...")     # stderr: "note: ..."; silent under -q
        out.text(table)                  # stdout, for people; silent under --json and -q
        out.wrote(folder)                # "wrote FOLDER"; under -q the path alone
        out.json({"folder": folder})     # --json: the one JSON document on stdout

The rules, the same for every command:

- ``--json``: stdout holds exactly one JSON document (NaN/inf as null, dates as ISO text) and
  nothing else; notes, warnings and progress go to stderr.
- ``-q``: only errors, the paths a command wrote (``result``) and, with ``--json``, the JSON.
- Progress (``Output.progress``) is drawn on stderr only when stderr is a terminal, not under
  ``--json`` or ``-q``, and only once the work has run ``PROGRESS_DELAY`` seconds.
- Errors are one line on stderr, ``error: ...``, ``config error: ...`` or ``usage error: ...``,
  and the exit status is one of ``EXIT_CODES`` (``rotation.cli`` turns exceptions into them).
"""

from __future__ import annotations

import itertools
import math
import sys
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

import click

from rotation._report_modes import PLOTLY_MODES

if TYPE_CHECKING:
    from click.decorators import FC

EXIT_OK = 0
EXIT_FAILED = 1  # a check failed, or a run could not be done (data, strategy, files)
EXIT_USAGE = 2  # a bad option, argument or config
EXIT_INTERRUPTED = 130  # Ctrl-C (128 + SIGINT, as shells report it)
EXIT_CODES = {
    EXIT_OK: "ok",
    EXIT_FAILED: "a check failed or a run could not be done",
    EXIT_USAGE: "usage or config error",
    EXIT_INTERRUPTED: "interrupted (Ctrl-C)",
}

PROGRESS_DELAY = 2.0
"""Seconds of work before a progress line appears (quick commands never show one)."""


def results_option(help: str) -> Callable[[FC], FC]:
    """``--results DIR`` (default ``results``): where the command's new output folder goes."""
    return click.option(
        "--results",
        "results_dir",
        type=click.Path(file_okay=False, path_type=Path),
        default=Path("results"),
        show_default=True,
        help=help,
    )


def quiet_option(help: str = "Print only the output folder.") -> Callable[[FC], FC]:
    """``--quiet/-q``: print only what a script needs."""
    return click.option("--quiet", "-q", is_flag=True, help=help)


def output_options(
    quiet_help: str = "Print only errors and the folder written.",
) -> Callable[[FC], FC]:
    """``--json`` and ``-q/--quiet`` (parameters ``as_json`` and ``quiet``); see the module
    docstring for what they promise and ``Output`` for printing by them."""

    def decorate(f: FC) -> FC:
        f = click.option(
            "--json",
            "as_json",
            is_flag=True,
            help="Print the result as one JSON document on stdout (notes go to stderr).",
        )(f)
        return quiet_option(quiet_help)(f)

    return decorate


def grid_option() -> Callable[[FC], FC]:
    """``--grid KEY=V1,V2,...`` (repeatable): a dotted config key and the values to try."""
    return click.option(
        "--grid",
        "grid_items",
        multiple=True,
        metavar="KEY=V1,V2,...",
        help="A dotted config key and its values (repeatable); replaces the config's sweep.grid.",
    )


def static_option() -> Callable[[FC], FC]:
    """``--static/--no-static`` (default off): embed a PNG copy of each report chart."""
    return click.option(
        "--static/--no-static",
        default=False,
        show_default=True,
        help="Also embed a PNG copy of each chart, shown where JavaScript is off (slower to "
        "write, larger file).",
    )


def signal_date_options(verb: str) -> Callable[[FC], FC]:
    """``--asof``, ``--max-age-days``, ``--allow-missing``: the signal's date and how stale its
    inputs may be (``rotation export``, ``rotation trade``); ``verb`` opens the help texts."""

    def decorate(f: FC) -> FC:
        f = click.option(
            "--allow-missing",
            multiple=True,
            metavar="NAME",
            help=f"{verb} even though this signal input (series id, or component) is missing; "
            "recorded in the feed. Repeatable.",
        )(f)
        f = click.option(
            "--max-age-days",
            type=int,
            default=None,
            help="Refuse when a price is older than this many calendar days [default: 7].",
        )(f)
        return click.option(
            "--asof",
            type=click.DateTime(["%Y-%m-%d"]),
            default=None,
            help=f"{verb} the signal as of this date: nothing observed later is read "
            "[default: today].",
        )(f)

    return decorate


def plain(value: Any) -> Any:
    """``value`` as JSON-ready data: mappings and sequences walked, NaN and infinities as None,
    numpy scalars as Python numbers, dates as ISO text, paths as text."""
    if isinstance(value, Mapping):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    if isinstance(value, Path):
        return str(value)
    if hasattr(value, "isoformat"):
        return value.isoformat()
    if hasattr(value, "item") and not isinstance(value, str | bytes):
        value = value.item()  # numpy scalar
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


class Progress:
    """One line on stderr saying what a long command is doing: a spinner, the stage, the count
    done (``advance``) and the seconds spent. Drawn by a background thread once the work has
    run ``delay`` seconds, and only when ``enabled``; erased when the work ends."""

    FRAMES = "|/-\\"

    def __init__(
        self, enabled: bool, *, delay: float = PROGRESS_DELAY, stream: IO[str] | None = None
    ):
        self.enabled = enabled
        self.delay = delay
        self.stream = stream if stream is not None else sys.stderr
        self.label = ""
        self.done = 0
        self.total: int | None = None
        self.lock = threading.Lock()
        self._drawn = False
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._started = time.monotonic()

    def stage(self, label: str, total: int | None = None) -> None:
        """Now doing ``label`` (``total``: how many items, counted by ``advance``)."""
        with self.lock:
            self.label, self.total, self.done = label, total, 0

    def advance(self, n: int = 1) -> None:
        with self.lock:
            self.done += n

    def clear(self) -> None:
        """Erase the line (call with ``lock`` held), so another line can be printed."""
        if self._drawn:
            self.stream.write("\r\x1b[K")
            self.stream.flush()
            self._drawn = False

    def _draw(self, frame: str) -> None:
        seconds = time.monotonic() - self._started
        count = f" {self.done:,}/{self.total:,}" if self.total else ""
        self.stream.write(f"\r\x1b[K{frame} {self.label}{count} ({seconds:.0f} s)")
        self.stream.flush()
        self._drawn = True

    def _run(self) -> None:
        if self._stop.wait(self.delay):
            return
        for frame in itertools.cycle(self.FRAMES):
            with self.lock:
                self._draw(frame)
            if self._stop.wait(0.1):
                return

    def __enter__(self) -> Progress:
        self._started = time.monotonic()
        if self.enabled:
            self._thread = threading.Thread(target=self._run, daemon=True)
            self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
        with self.lock:
            self.clear()


class Output:
    """How a command prints, by ``--json`` and ``-q`` (see the module docstring)."""

    def __init__(self, *, as_json: bool = False, quiet: bool = False) -> None:
        self.as_json = as_json
        self.quiet = quiet
        self._progress: Progress | None = None

    @property
    def interactive(self) -> bool:
        """Whether progress may be drawn: stderr is a terminal, and neither --json nor -q."""
        return not (self.as_json or self.quiet) and _isatty(sys.stderr)

    @contextmanager
    def progress(self, label: str, total: int | None = None) -> Iterator[Progress]:
        """A ``Progress`` for the work inside the block (drawn only when ``interactive``)."""
        with Progress(self.interactive) as progress:
            progress.stage(label, total)
            self._progress = progress
            try:
                yield progress
            finally:
                self._progress = None

    def _echo(self, line: str, *, err: bool, bold: bool = False) -> None:
        from rotation.errors import printable

        line = printable(line)  # names and paths may come from files: no escape sequences
        if self._progress is None:
            click.secho(line, err=err, bold=bold or None)
            return
        with self._progress.lock:
            self._progress.clear()
            click.secho(line, err=err, bold=bold or None)

    def text(self, line: str = "", *, bold: bool = False) -> None:
        """Output for people (stdout); nothing under --json or -q. ``bold`` on a terminal."""
        if not (self.as_json or self.quiet):
            self._echo(line, err=False, bold=bold)

    def result(self, line: str) -> None:
        """What a script needs from a text run (a folder written): kept by -q, not --json."""
        if not self.as_json:
            self._echo(line, err=False)

    def wrote(self, path: Path | str, what: str = "wrote") -> None:
        """``wrote PATH`` for people, ``PATH`` alone under -q, nothing under --json."""
        self.result(str(path) if self.quiet else f"{what} {path}")

    def note(self, line: str, *, prefix: str = "note") -> None:
        """``note: line`` on stderr; nothing under -q."""
        if not self.quiet:
            self._echo(f"{prefix}: {line}", err=True)

    def json(self, payload: Any) -> None:
        """With --json, ``payload`` as one JSON document on stdout (``plain`` data)."""
        if self.as_json:
            import json

            self._echo(json.dumps(plain(payload), indent=2, allow_nan=False), err=False)


def terminal_width() -> int | None:
    """The terminal's width in characters (``COLUMNS`` when set), None when stdout is not a
    terminal: tables wider than it wrap (``rotation.summary.comparison_table``)."""
    import os
    import shutil

    if os.environ.get("COLUMNS", "").isdigit() or _isatty(sys.stdout):
        return shutil.get_terminal_size().columns
    return None


def _isatty(stream: IO[str]) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):  # replaced or closed streams
        return False


def plotly_option() -> Callable[[FC], FC]:
    """``--plotly inline|shared|cdn`` (default inline): how a report loads plotly.js
    (``rotation._report_modes.PLOTLY_MODES``)."""
    return click.option(
        "--plotly",
        "plotly",
        type=click.Choice(PLOTLY_MODES),
        default="inline",
        show_default=True,
        help="How report.html loads plotly.js: inline (in the page, opens offline; ~2.5 MB), "
        "shared (one plotly-<version>.min.js in the folder above the run folder, the results "
        "folder, referenced from each report; opens offline while it sits there) or cdn "
        "(plotly's CDN, pinned version with an integrity hash; needs the network).",
    )


def memory_option() -> Callable[[FC], FC]:
    """``--memory-mb MB``: the memory budget of one engine pass, a finite number > 0."""
    return click.option(
        "--memory-mb",
        type=click.FloatRange(min=0, max=1e9, min_open=True),
        callback=_not_nan,
        default=None,
        help="Memory budget of one pass [512].",
    )


def _not_nan(ctx: click.Context, param: click.Parameter, value: float | None) -> float | None:
    if value is not None and value != value:  # NaN passes click's range checks
        raise click.BadParameter("not a number (nan)", ctx=ctx, param=param)
    return value
