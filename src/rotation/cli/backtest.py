"""``rotation backtest`` and ``rotation strategies``."""

from __future__ import annotations

import datetime as dt
import functools
from pathlib import Path

import click

from rotation.cli._options import (
    Output,
    output_options,
    plotly_option,
    results_option,
    static_option,
    terminal_width,
)


def engine_stage() -> str:
    """The progress stage of a simulation, saying so when numba compiles the engine first."""
    from rotation._sim import COMPILE_SECONDS, compiled_on_disk

    if compiled_on_disk():
        return "simulating"
    return f"compiling the engine once (about {COMPILE_SECONDS} s), then simulating"


def compile_note(out: Output) -> None:
    """Say once, before the work, that this run compiles the engine (numba's cache is empty:
    the first run after install or after an upgrade)."""
    from rotation._sim import COMPILE_SECONDS, compiled_on_disk

    if not compiled_on_disk():
        out.note(
            f"compiling the engine once (about {COMPILE_SECONDS} s); later runs load it "
            "from numba's cache"
        )


@click.command()
@click.argument("configs", nargs=-1, required=True, type=click.Path(dir_okay=False))
@click.option("--start", type=click.DateTime(["%Y-%m-%d"]), help="Override the config's start.")
@click.option("--end", type=click.DateTime(["%Y-%m-%d"]), help="Override the config's end.")
@results_option("Folder that receives one new run folder per config.")
@output_options("Print only errors and the run folders.")
@static_option()
@plotly_option()
def backtest(
    configs: tuple[str, ...],
    start: dt.datetime | None,
    end: dt.datetime | None,
    results_dir: Path,
    as_json: bool,
    quiet: bool,
    static: bool,
    plotly: str,
) -> None:
    """Backtest each CONFIG and print the runs side by side.

    Each run is written to a new folder RESULTS/<name>-<time>-<id>/ (config, manifest,
    metrics, equity, weights, orders, signals, and the HTML tearsheet report.html); an
    existing run is never overwritten. --json prints {"runs": [{name, folder, report,
    run_id, notes, metrics}, ...]}.
    """
    from rotation.validate import load_config

    out = Output(as_json=as_json, quiet=quiet)
    names, metrics, reports, records = [], [], [], []
    with out.progress("reading the configs") as progress:
        loaded = [load_config(path) for path in configs]  # every config checked before work
        from rotation.backtest import simulate_prepared
        from rotation.pipeline import prepare
        from rotation.report import REPORT_FILE, write_report
        from rotation.runs import save

        overrides = {}
        if start:
            overrides["start"] = start.date()
        if end:
            overrides["end"] = end.date()
        compile_note(out)
        for n, config in enumerate(loaded, 1):
            config = config.replace(**overrides) if overrides else config
            which = f"{config.name} ({n}/{len(loaded)}): " if len(loaded) > 1 else ""
            progress.stage(f"{which}loading data, computing signals and targets")
            prepared = prepare(config)
            progress.stage(which + engine_stage())
            result = simulate_prepared(prepared)
            progress.stage(f"{which}writing the run and its report")
            folder = save(
                result,
                results_dir,
                finish=functools.partial(write_report, static=static, plotly=plotly),
            )
            reports.append(folder / REPORT_FILE)
            names.append(config.name)
            metrics.append(result.metrics)
            for note in result.notes:
                out.note(note, prefix=f"note ({config.name})")
            out.wrote(folder)
            records.append(
                {
                    "name": config.name,
                    "folder": folder,
                    "report": folder / REPORT_FILE,
                    "run_id": result.identity.run_id,
                    "notes": list(result.notes),
                    "metrics": result.metrics,
                }
            )
    from rotation.summary import comparison_table

    header, *rows = comparison_table(names, metrics, width=terminal_width()).splitlines()
    out.text()
    out.text(header, bold=True)  # styled on a terminal only; click strips it in pipes
    out.text("\n".join(rows))
    out.text()
    width = max(len(name) for name in names)
    for name, path in zip(names, reports, strict=True):
        out.text(f"report  {name.ljust(width)}  {path}")
    out.json({"runs": records})


@click.command()
@click.option(
    "--dir",
    "folder",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("strategies"),
    show_default=True,
    help="Strategies folder to list.",
)
@output_options("Print only errors.")
def strategies(folder: Path, as_json: bool, quiet: bool) -> None:
    """List the strategies in the strategies folder, with their parameters.

    Run it from the project root (where strategies/ is), or give --dir.
    """
    from rotation.errors import ConfigError
    from rotation.strategy import available_strategies, load_strategy

    out = Output(as_json=as_json, quiet=quiet)
    if not folder.is_dir():
        raise ConfigError(
            f"no strategies folder: looked in {folder.resolve()}; run from the project root "
            "(the folder with strategies/ and configs/) or give --dir"
        )
    names = available_strategies(folder)
    if not names:
        out.note(f"no strategy files (*.py) in {folder.resolve()}")
    listed = []
    for name in names:
        strategy = load_strategy(name, folder)
        out.text(f"{name}: {strategy.description}")
        for param, default in strategy.parameters:
            out.text(f"    {param} = {default}")
        listed.append(
            {
                "name": name,
                "description": strategy.description,
                "file": strategy.path,
                "parameters": {param: repr(default) for param, default in strategy.parameters},
            }
        )
    out.json({"folder": folder.resolve(), "strategies": listed})
