"""``rotation report RUN_DIR``: write (or rewrite) a run folder's HTML tearsheet."""

from __future__ import annotations

from pathlib import Path

import click

from rotation.cli._options import static_option


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
def report(run_dirs: tuple[Path, ...], take_screenshot: bool, static: bool) -> None:
    """Write RUN_DIR/report.html: a self-contained HTML tearsheet that opens offline.

    Built from the run folder's files only, after checking each against the checksum the
    manifest recorded and the shape `rotation backtest` writes (a changed, truncated or malformed
    file is refused, naming it; a folder from before checksums were recorded: run it again).
    """
    from rotation.errors import printable
    from rotation.report import screenshot, write_report

    for run_dir in run_dirs:  # folder names may come from a shared folder: printed escaped
        path = write_report(run_dir, static=static)
        click.echo(printable(f"report {path}", keep=""))
        if take_screenshot:
            click.echo(printable(f"screenshot {screenshot(path)}", keep=""))
