"""``rotation runs``: the backtest runs of a results folder, filtered and sorted."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import click

from rotation.cli._options import Output, output_options, results_option

HEADLINE = ("total_return", "annual_return", "sharpe", "max_drawdown")
"""The metrics the list shows beside each run (``--json`` gives every metric)."""


@click.command()
@results_option("Results folder to list.")
@click.option("--name", "pattern", metavar="PATTERN", help="Only configs named so (shell glob).")
@click.option(
    "--since", type=click.DateTime(["%Y-%m-%d", "%Y-%m-%dT%H:%M:%S"]), help="Only runs written "
    "on or after this (UTC)."
)  # fmt: skip
@click.option("--config-hash", "config_hash", metavar="PREFIX", help="Only this config hash.")
@click.option("--run-id", "run_id", metavar="PREFIX", help="Only this run id.")
@click.option(
    "--sort",
    "sort_by",
    metavar="KEY",
    default="time",
    show_default=True,
    help="time (oldest first), name, or a metric (best first in its own direction: highest "
    "Sharpe, shallowest drawdown, lowest volatility...).",
)
@click.option("--reverse", is_flag=True, help="Reverse the order.")
@click.option("--limit", type=click.IntRange(min=1), help="Show at most this many runs.")
@output_options("Print only errors (and, with --json, the JSON).")
def runs(
    results_dir: Path,
    pattern: str | None,
    since: dt.datetime | None,
    config_hash: str | None,
    run_id: str | None,
    sort_by: str,
    reverse: bool,
    limit: int | None,
    as_json: bool,
    quiet: bool,
) -> None:
    """List the backtest runs in RESULTS: name, time, id, config hash, headline metrics.

    Folders that are not backtest runs (sweeps, comparisons, signals, exports) are skipped
    with a note; a damaged run is named with what is wrong and skipped. Only manifest.json
    and metrics.json are read, so listing hundreds of runs takes well under a second.
    --json prints {"runs": [{folder, name, created, run_id, config_hash, ..., metrics}],
    "skipped": [...], "damaged": [{folder, reason}]}.
    """
    import fnmatch

    from rotation.errors import ConfigError

    out = Output(as_json=as_json, quiet=quiet)
    if sort_by not in ("time", "name"):
        from rotation._metric_names import RANKABLE
        from rotation._typed import suggest

        choices = ["time", "name", *RANKABLE, "annual_turnover", "costs_paid", "final_value"]
        if sort_by not in choices:
            raise ConfigError(
                f"--sort: unknown key {sort_by!r}{suggest(sort_by, choices)}; choose one of "
                f"{', '.join(choices)}"
            )
    if not results_dir.is_dir():
        raise ConfigError(f"results folder {results_dir} does not exist (give --results DIR)")
    from rotation.stored import headline, list_runs, sort_key

    found = list_runs(results_dir)
    if found.skipped:
        shown = ", ".join(found.skipped[:5]) + (", ..." if len(found.skipped) > 5 else "")
        n = len(found.skipped)
        what = (
            "folder that is not a backtest run" if n == 1 else "folders that are not backtest runs"
        )
        out.note(f"skipped {n} {what} ({shown})")
    for folder, reason in found.damaged:
        out.note(f"skipped damaged run {folder.name}: {reason}")
    selected = found.runs
    if pattern:
        selected = [r for r in selected if fnmatch.fnmatchcase(r.name, pattern)]
    if since:
        cut = since.replace(tzinfo=dt.UTC)
        selected = [r for r in selected if r.created is not None and r.created >= cut]
    if config_hash:
        selected = [r for r in selected if r.config_hash.startswith(config_hash.lower())]
    if run_id:
        selected = [r for r in selected if r.run_id.startswith(run_id.lower())]
    if sort_by == "time":
        selected.sort(key=lambda r: (r.created is None, r.created or dt.datetime.min, r.folder))
    elif sort_by == "name":
        selected.sort(key=lambda r: (r.name, r.folder))
    else:
        selected.sort(key=sort_key(sort_by))
    if reverse:
        selected.reverse()
    if limit:
        selected = selected[:limit]
    out.json(
        {
            "results": results_dir,
            "runs": [r.to_dict() for r in selected],
            "skipped": found.skipped,
            "damaged": [{"folder": f, "reason": why} for f, why in found.damaged],
        }
    )
    if out.as_json:
        return  # the table below would print nothing; its registry import costs a second
    if not selected:
        out.note(
            f"no backtest runs in {results_dir} match"
            if found.runs
            else f"no backtest runs in {results_dir}"
        )
        return
    from rotation.metrics import metric

    header = ["name", "created (UTC)", "run id", "config", *(metric(m).label for m in HEADLINE)]
    rows = [
        [
            r.name,
            r.created.strftime("%Y-%m-%d %H:%M:%S") if r.created else "?",
            r.run_id,
            r.config_hash[:12],
            *headline(r.metrics, HEADLINE),
        ]
        for r in selected
    ]
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header))]

    def line(cells: list[str]) -> str:
        text = [c.ljust(w) for c, w in zip(cells[:4], widths[:4], strict=True)]
        text += [c.rjust(w) for c, w in zip(cells[4:], widths[4:], strict=True)]
        return "  ".join(text).rstrip()

    out.text(line(header), bold=True)
    for row in rows:
        out.text(line(row))
