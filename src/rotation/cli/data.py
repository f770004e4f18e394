"""``rotation data``: fetch live data into the cache, list it, show it, verify it.

    rotation data fetch --symbols MSFT,QQQ [--start 2015-01-01] [--source yfinance|fred|sec]
    rotation data fetch --config configs/base.yaml
    rotation data list
    rotation data show MSFT
    rotation data verify

Every command takes ``--cache-dir`` (default ``ROTATION_CACHE``, else the user cache folder).
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any
from warnings import catch_warnings, simplefilter

import click

from rotation.data import SOURCES
from rotation.errors import RotationError, printable

if TYPE_CHECKING:
    from rotation.data.cache import Cache, Refreshed


def _cache_option(command: Callable[..., Any]) -> Callable[..., Any]:
    return click.option(
        "--cache-dir",
        type=click.Path(file_okay=False, path_type=Path),
        envvar="ROTATION_CACHE",
        default=None,
        help="Cache folder [default: $ROTATION_CACHE, else the user cache folder].",
    )(command)


def _cache(cache_dir: Path | None) -> Cache:
    from rotation.data.cache import Cache, default_cache_dir

    return Cache(cache_dir or default_cache_dir())


def _split(values: Iterable[str]) -> list[str]:
    return [part.strip() for value in values for part in value.split(",") if part.strip()]


@click.group("data")
def data() -> None:
    """Fetch live data (Yahoo, FRED, SEC EDGAR) into the local cache and inspect it."""


@data.command("fetch")
@click.option(
    "--symbols",
    multiple=True,
    help="Symbols or series ids, comma-separated (from Yahoo unless --source says otherwise).",
)
@click.option(
    "--config",
    "config_path",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Fetch everything a config needs (universe, benchmark, signal series, risk-free "
    "rate, capex).",
)
@click.option("--start", type=click.DateTime(formats=["%Y-%m-%d"]), help="First date wanted.")
@click.option("--source", type=click.Choice(SOURCES), help="Provider [default: yfinance].")
@click.option("--full", is_flag=True, help="Fetch all history again, not only what is missing.")
@click.option(
    "--sec-user-agent",
    envvar="ROTATION_SEC_USER_AGENT",
    help="'Name email@host' sent to SEC EDGAR [default: $ROTATION_SEC_USER_AGENT].",
)
@click.option("--timeout", type=float, default=20, show_default=True, help="Seconds per request.")
@_cache_option
def fetch(
    symbols: tuple[str, ...],
    config_path: Path | None,
    start: Any,
    source: str | None,
    full: bool,
    sec_user_agent: str | None,
    timeout: float,
    cache_dir: Path | None,
) -> None:
    """Fetch series into the cache (only what is missing since the last cached date)."""
    keys = _split(symbols)
    if keys and config_path:
        raise click.UsageError("give --symbols or --config, not both")
    if not keys and not config_path and source != "sec":
        raise click.UsageError("give --symbols or --config (or --source sec)")
    config = None
    if config_path is not None:
        from rotation.config import read_config

        try:
            config = read_config(config_path)
        except RotationError as exc:
            raise click.ClickException(str(exc)) from None
    from rotation.data.live import LiveSource, fetch_plan

    plan = fetch_plan(keys, config=config, source=source)
    if not plan:
        raise click.UsageError(f"nothing to fetch from {source} in {config_path}")
    live = LiveSource(cache_dir, user_agent=sec_user_agent, timeout=timeout)
    first_date = start.date() if start else None
    failures: list[str] = []

    def one(item: tuple[str, str]) -> str:
        provider, key = item
        try:
            done = live.update(provider, key, start=first_date, full=full)
        except RotationError as exc:
            failures.append(str(exc))
            return printable(f"FAILED  {provider:<8} {key}: {exc}", keep="")
        return printable(_fetched_line(provider, key, done), keep="")

    if len(plan) > 1 and sys.stderr.isatty():
        lines = []
        with click.progressbar(plan, label="fetching", file=sys.stderr) as bar:
            for item in bar:
                lines.append(one(item))
        for line in lines:
            click.echo(line)
    else:
        for item in plan:
            click.echo(one(item))
    click.echo(f"cache: {live.cache.root}")
    if failures:
        click.echo(f"{len(failures)} of {len(plan)} failed", err=True)
        raise click.exceptions.Exit(1)


def _fetched_line(provider: str, key: str, done: Refreshed) -> str:
    entry = done.entry
    what = {
        "fetched": f"fetched {entry.rows} rows",
        "updated": f"updated: {done.new_rows} new or revised rows, {entry.rows} in all",
        "unchanged": f"up to date, {entry.rows} rows",
        "cached": f"cached, {entry.rows} rows",
        "stale": f"STALE copy, {entry.rows} rows",
    }[done.status]
    return f"ok      {provider:<8} {key}: {what} ({entry.first} to {entry.last})"


@data.command("list")
@_cache_option
def list_(cache_dir: Path | None) -> None:
    """What is cached: source, date range, rows and age of each file."""
    from rotation.data.cache import age_text

    cache = _cache(cache_dir)
    entries = cache.entries()
    if not entries:
        click.echo(f"the cache {cache.root} is empty")
        return
    header = ("kind", "key", "source", "first", "last", "rows", "fetched (UTC)", "age")
    rows = [
        tuple(
            printable(
                cell, keep=""
            )  # the manifest is a file: nothing in it reaches the terminal raw
            for cell in (
                e.kind,
                e.key,
                e.source,
                e.first or "-",
                e.last or "-",
                str(e.rows),
                f"{e.fetched:%Y-%m-%d %H:%M}",
                age_text(e.age()),
            )
        )
        for e in entries
    ]
    widths = [max(len(row[i]) for row in (header, *rows)) for i in range(len(header))]
    for row in (header, *rows):
        click.echo("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)))
    click.echo(f"{len(entries)} files in {cache.root}")


@data.command("show")
@click.argument("symbol")
@click.option("--rows", type=int, default=5, show_default=True, help="Rows shown at each end.")
@_cache_option
def show(symbol: str, rows: int, cache_dir: Path | None) -> None:
    """The cached data of SYMBOL (a symbol, series id or hyperscaler ticker) and its provenance."""
    from rotation.data.cache import age_text

    cache = _cache(cache_dir)
    matches = [e for e in cache.entries() if e.key in (symbol, symbol.upper())]
    if not matches:
        raise click.ClickException(
            f"{symbol!r} is not cached in {cache.root} (see `rotation data list`)"
        )
    for entry in matches:
        try:
            found = cache.read(entry.kind, entry.key)
        except RotationError as exc:
            raise click.ClickException(str(exc)) from None
        if found is None:
            continue
        frame, _ = found
        shown = (
            frame
            if len(frame) <= 2 * rows
            else frame.iloc[list(range(rows)) + list(range(-rows, 0))]
        )
        lines = [
            f"{entry.name}  ({cache.root / entry.file})",
            f"  source   {entry.source}  {entry.url}",
            f"  fetched  {entry.fetched:%Y-%m-%d %H:%M} UTC ({age_text(entry.age())} ago)",
            f"  rows     {entry.rows}, {entry.first} to {entry.last}",
            f"  sha256   {entry.sha256}",
            *shown.to_string(index=False).splitlines(),
            "",
        ]
        for line in lines:  # from the cache's files: shown with control characters escaped
            click.echo(printable(line, keep=""))


@data.command("verify")
@click.option(
    "--bundled",
    is_flag=True,
    help="Also report the bundled snapshot's capex and funding coverage per company.",
)
@_cache_option
def verify(bundled: bool, cache_dir: Path | None) -> None:
    """Check every cached file: checksum, readability, duplicates, date order, gaps.

    Then report, per hyperscaler, the quarters of capex and of each funding item the cached
    SEC data holds (first, last, count, missing quarters in between; companies without any);
    with --bundled, the same for the bundled snapshot.
    """
    cache = _cache(cache_dir)
    problems = cache.verify()
    for problem in problems:
        label = "ERROR" if problem.severity == "error" else "warning"
        click.echo(printable(f"{label:<8}{problem.name}: {problem.message}", keep=""))
    errors = sum(p.severity == "error" for p in problems)
    warnings = len(problems) - errors
    with catch_warnings():  # a malformed entry is among the errors above already
        simplefilter("ignore")
        checked = len(cache.entries())
    click.echo(f"{checked} files checked in {cache.root}: {errors} errors, {warnings} warnings")
    from rotation.data.funding import coverage_report
    from rotation.data.providers.sec import HYPERSCALER_CIKS

    if not errors:
        report = coverage_report(*_cached_filings(cache), list(HYPERSCALER_CIKS))
        if report:
            click.echo(f"\nquarter coverage of the cached SEC data:\n{report}")
    if bundled:
        from rotation.data.sources import bundled as bundled_source

        snapshot = bundled_source()
        report = coverage_report(
            snapshot.capex_quarters(), snapshot.funding_items(), list(HYPERSCALER_CIKS)
        )
        click.echo(f"\nquarter coverage of the bundled snapshot:\n{report}")
    if errors:
        raise click.exceptions.Exit(1)


def _cached_filings(cache: Cache) -> tuple[Any, Any]:
    """(capex quarters, funding items) of every cached SEC entry, combined."""
    from rotation.data.capex import combine_sources, stored_quarters
    from rotation.data.funding import combine, stored_items
    from rotation.data.live import FUNDING_SUFFIX

    capex, funding = [], []
    for entry in cache.entries():
        found = cache.read(entry.kind, entry.key) if entry.source == "sec" else None
        if found is None:
            continue
        if entry.key.endswith(FUNDING_SUFFIX):
            funding.append(stored_items(found[0]))
        else:
            capex.append(stored_quarters(found[0]))
    return combine_sources(capex), combine(funding)
