"""``rotation check``: checks of a config's honesty (``lookahead``)."""

from __future__ import annotations

import sys

import click

from rotation.cli._options import EXIT_FAILED, Output, output_options


@click.group()
def check() -> None:
    """Check configs for mistakes that make a backtest look better than it can be."""


@click.command()
@click.argument("configs", nargs=-1, required=True, type=click.Path(dir_okay=False))
@click.option(
    "--all", "every", is_flag=True,
    help="Cut at every decision date of the window, not only the default coverage.",
)  # fmt: skip
@click.option(
    "--samples", type=click.IntRange(1, 500), default=8, show_default=True,
    help="Stratified decision dates drawn before the window's last 10%.",
)  # fmt: skip
@click.option(
    "--seed", type=click.IntRange(min=0), default=0, show_default=True,
    help="Seed of that sample (a whole number >= 0).",
)  # fmt: skip
@output_options("Print only errors; the exit status says pass (0) or fail (1).")
def lookahead(
    configs: tuple[str, ...], every: bool, samples: int, seed: int, as_json: bool, quiet: bool
) -> None:
    """Cut the data at decision dates and replace the future; nothing before may move.

    For each CONFIG, the cut-offs are every decision date in the last 10% of the backtest
    window, the first and the last decision date, and --samples dates drawn one per stratum
    from the rest (--all: every decision date). At each cut-off t the strategy reruns on the
    4 decision rows each side of t:

    \b
    - truncation: its batch cut at t (no prices, no decision rows after t);
    - adversarial futures: prices after t scaled, mirrored, reversed, inverted (whole-period
      growth), swapped between assets and between sleeves, boomed and crashed; the regime
      after t forced to scarce and to abundant (with --all, dates outside the default
      coverage get one of these, in turn);
    - its targets on decision dates up to t must equal those of a run with the true future,
      bit for bit.

    Pipeline reruns, cut at the first and last decision date and at 1/3, 2/3 and 90% of the
    window, run every stage on the data source cut at t (closes after t, macro values
    published after t, filings known after t do not exist), and with the macro series and
    filings after t pushed to scarce and to abundant; prices, signals, regime, decision dates
    and targets up to t must equal the full run's. Strategy code runs sandboxed: a file open,
    network access or subprocess fails the check, naming the call and the line. A static
    scan of the strategy file prints warnings (they do not fail).

    Prints what was covered, the count of offences per future and the first offences; exits
    with status 1 when any config fails. --json prints {"passed": bool, "configs": [{config,
    passed, cutoffs, reruns, offences, sandbox_violations, warnings, seconds}]}.
    """
    from rotation.lookahead import SharedStages, check_lookahead
    from rotation.validate import load_config

    out = Output(as_json=as_json, quiet=quiet)
    shared = SharedStages()  # configs with the same signal block share pipeline reruns
    failed = 0
    records = []
    with out.progress("checking") as progress:
        for n, path in enumerate(configs, 1):
            config = load_config(path)
            progress.stage(f"checking {config.name} ({n}/{len(configs)})")
            report = check_lookahead(config, samples=samples, seed=seed, every=every, shared=shared)
            out.text(report.summary())
            failed += not report.passed
            records.append(
                {
                    "config": path,
                    "name": report.name,
                    "passed": report.passed,
                    "cutoffs": [t.date() for t in report.dates],
                    "reruns": report.reruns,
                    "offences": [o.describe() for o in report.offences],
                    "sandbox_violations": [v.describe() for v in report.violations],
                    "warnings": [w.describe() for w in report.warnings],
                    "seconds": report.seconds,
                }
            )
    if len(configs) > 1:
        out.text(f"{len(configs) - failed} of {len(configs)} configs passed")
    out.json({"passed": not failed, "configs": records})
    if failed:
        sys.exit(EXIT_FAILED)


check.add_command(lookahead)
