"""``rotation report RUN_DIR``: write (or rewrite) a run folder's HTML tearsheet."""

from __future__ import annotations

from pathlib import Path

import click

from rotation.cli._options import EXIT_FAILED, Output, plotly_option, quiet_option, static_option


@click.command()
@click.argument(
    "run_dirs", nargs=-1, required=True, type=click.Path(file_okay=False, path_type=Path)
)
@click.option(
    "--screenshot",
    "take_screenshot",
    is_flag=True,
    help="Also save a full-page report.png beside it (needs a headless Chromium).",
)
@static_option()
@plotly_option()
@quiet_option("Print only errors and the reports written.")
def report(
    run_dirs: tuple[Path, ...], take_screenshot: bool, static: bool, plotly: str, quiet: bool
) -> None:
    """Write RUN_DIR/report.html: a self-contained HTML tearsheet that opens offline.

    Built from the run folder's files only, after checking each against the checksum the
    manifest recorded and the shape `rotation backtest` writes (a changed, truncated or malformed
    file is refused, naming it; a folder from before checksums were recorded: run it again).
    Given many folders (results/*/), it skips those that are not backtest runs (sweeps,
    comparisons, signals, exports) with a note, reports a damaged run and goes on with the
    others; the exit status is 1 when a run failed or none of the folders is a run.
    """
    import sys

    from rotation.errors import RotationError, printable
    from rotation.report import screenshot, write_report
    from rotation.runs import looks_like_run

    out = Output(quiet=quiet)
    skipped, failed, written = [], 0, 0
    for run_dir in run_dirs:
        if len(run_dirs) > 1 and not looks_like_run(run_dir):
            skipped.append(run_dir)
            out.note(f"skipped {run_dir}: not a backtest run folder")
            continue
        try:
            path = write_report(run_dir, static=static, plotly=plotly)
        except RotationError as exc:
            if len(run_dirs) == 1:
                raise
            click.echo(f"error: {printable(exc)}", err=True)
            failed += 1
            continue
        written += 1
        out.wrote(path, "report")
        if take_screenshot:
            out.wrote(screenshot(path), "screenshot")
    if not written and skipped:
        click.echo(f"error: none of the {len(run_dirs)} folders is a backtest run", err=True)
    if failed or not written:
        sys.exit(EXIT_FAILED)
