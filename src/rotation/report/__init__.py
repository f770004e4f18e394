"""HTML tearsheets: one self-contained ``report.html`` per run folder.

    from rotation.report import write_report
    write_report("results/capital_scarcity-20250101T000000-abcdef012345")

The report is built from the run folder's files only (see ``rotation.runs``), once
``load_run`` has checked them against the manifest's checksums and their schema, so it can be
rewritten for any run folder that recorded them; ``rotation backtest`` writes it right after
saving the run.
"""

from __future__ import annotations

from pathlib import Path

from rotation._atomic import write_file
from rotation._report_modes import PLOTLY_MODES
from rotation.errors import RotationError
from rotation.report._run import Run, load_run
from rotation.report.browser import find_chromium, screenshot
from rotation.report.html import build_html

REPORT_FILE = "report.html"

__all__ = [
    "PLOTLY_MODES",
    "REPORT_FILE",
    "Run",
    "build_html",
    "find_chromium",
    "load_run",
    "screenshot",
    "write_report",
]


def write_report(
    run_dir: str | Path,
    *,
    static: bool = False,
    plotly: str = "inline",
    final: Path | None = None,
) -> Path:
    """Write ``report.html`` into the run folder ``run_dir``; return its path.

    ``static``: also embed a PNG copy of each chart, drawn with matplotlib (shown where
    JavaScript is off; it makes the report several times slower to write, and larger).
    ``plotly``: how the page loads plotly.js, one of ``PLOTLY_MODES``: ``inline`` (default:
    the file alone opens offline), ``shared`` (one plotly-<version>.min.js in the folder above
    the run folder, written there once) or ``cdn`` (plotly's CDN, pinned, with an integrity
    hash; needs the network). ``final``: the path the provenance shows for the run folder
    (``rotation.runs.save`` passes where a folder being written will be published).
    The file is written under a temporary name and renamed, so it is never half written.
    """
    run = load_run(run_dir)
    page = build_html(run, static=static, plotly=plotly, folder=final)
    target = run.folder / REPORT_FILE
    try:
        write_file(target, page.encode("utf-8"))
    except OSError as exc:
        raise RotationError(f"cannot write {target}: {exc}") from None
    return target
