"""Compare configs on one data window: a ranked table and overlaid equity and drawdown curves."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from rotation._typed import suggest
from rotation.backtest import Backtest, simulate_prepared
from rotation.config import Config
from rotation.errors import ConfigError, DataError
from rotation.metrics import METRICS, rank_scores
from rotation.pipeline import Stages, load_inputs
from rotation.runs import new_folder, timestamp

COLUMNS = tuple(m.name for m in METRICS)  # every registry metric a run reports
SELECTION = ("psr", "dsr")  # the odds of the selection (higher is better), added to the table


@dataclass(frozen=True)
class Comparison:
    """``table``: one row per config (index = name), metrics as columns plus ``rank``."""

    table: pd.DataFrame
    results: list[Backtest]
    notes: tuple[str, ...]
    rank_by: str = "sharpe"

    def _repr_html_(self) -> str:
        """The runs side by side, best first (``rotation.summary``), as HTML for Jupyter."""
        from rotation.summary import comparison_html

        ranked = by_rank(self)
        caption = f"ranked by {self.rank_by}" if self.rank_by else ""
        return comparison_html(list(self.table.index), [r.metrics for r in ranked], caption)


def rank_choices() -> list[str]:
    """What a comparison can be ranked by: the registry metrics with a better direction, then
    the selection odds (``SELECTION``)."""
    return [m.name for m in METRICS if m.better is not None] + list(SELECTION)


def check_rank_by(rank_by: str) -> None:
    """Raise ``ConfigError`` (a usage error, status 2) when ``rank_by`` is not a choice."""
    choices = rank_choices()
    if rank_by not in choices:
        raise ConfigError(
            f"cannot rank by unknown metric {rank_by!r}{suggest(rank_by, choices)}; "
            f"choose one of {', '.join(choices)}"
        )


def compare(
    runs: Sequence[Config | Backtest],
    *,
    start: dt.datetime | None = None,
    end: dt.datetime | None = None,
    rank_by: str = "sharpe",
) -> Comparison:
    """Run every config on their common window (or ``start``..``end``) and rank them.

    ``runs`` may also hold finished runs (a ``Backtest``, e.g. ``rotation.load_run(folder)``):
    they are compared as they are, re-running nothing, over their own window; the configs
    run on the window common to all (``start``..``end`` apply to configs only), and a note
    names each finished run whose window differs. Configs whose own windows differ are
    aligned to the window they all have data for, with a note saying so.
    """
    check_rank_by(rank_by)  # before any work
    configs = [r for r in runs if isinstance(r, Config)]
    done = [r for r in runs if not isinstance(r, Config)]
    stages = [Stages(load_inputs(c)) for c in configs]
    windows = [s.window(c) for c, s in zip(configs, stages, strict=True)]
    every = windows + [r.window for r in done]
    common_start = max(w.start for w in every) if start is None else pd.Timestamp(start)
    common_end = min(w.end for w in every) if end is None else pd.Timestamp(end)
    if configs and common_start >= common_end:
        raise DataError(
            f"the configs have no common window ({common_start.date()} .. {common_end.date()})"
        )
    notes = []
    if start is None and end is None:
        for config, window in zip(configs, windows, strict=True):
            if (window.start, window.end) != (common_start, common_end):
                notes.append(
                    f"{config.name}: window {window.start.date()} .. {window.end.date()} "
                    f"aligned to the common {common_start.date()} .. {common_end.date()}"
                )
    for result in done:
        if (result.window.start, result.window.end) != (common_start, common_end):
            notes.append(
                f"{result.config.name}: a finished run, compared over its own window "
                f"{result.window.start.date()} .. {result.window.end.date()} (not re-run; the "
                f"common window is {common_start.date()} .. {common_end.date()})"
            )
    ran = iter(
        [
            simulate_prepared(
                s.prepare(c.replace(start=common_start.date(), end=common_end.date()))
            )
            for c, s in zip(configs, stages, strict=True)
        ]
    )
    results = [next(ran) if isinstance(r, Config) else r for r in runs]  # in the order given
    names = _unique_names([r.config for r in results])
    table = pd.DataFrame([{k: r.metrics.get(k) for k in COLUMNS} for r in results], index=names)
    table[SELECTION[0]], table[SELECTION[1]] = selection_odds(results)
    table.index.name = "config"
    # the registry's direction (``rank_scores``: higher is better, NaN last); the selection
    # odds are probabilities, higher is better
    values = table[rank_by].to_numpy(dtype=np.float64)
    scores = (
        rank_scores(values, rank_by)
        if rank_by not in SELECTION
        else np.nan_to_num(values, nan=-np.inf)
    )
    table["rank"] = pd.Series(scores, index=table.index).rank(ascending=False, method="min")
    table["rank"] = table["rank"].astype(int)
    return Comparison(
        table=table.sort_values("rank"), results=results, notes=tuple(notes), rank_by=rank_by
    )


def selection_odds(results: Sequence[Backtest]) -> tuple[list[float], list[float]]:
    """Each run's Probabilistic Sharpe Ratio (true Sharpe > 0) and Deflated Sharpe Ratio, on
    its returns in excess of its risk-free rate,
    taking the runs compared as the trials: n_trials = len(results), and the variance of
    their daily Sharpe ratios (``rotation.overfit``)."""
    from rotation.overfit import deflated_sharpe_ratio, moments, probabilistic_sharpe_ratio

    stats = [moments(r.excess_returns.iloc[1:].to_numpy()) for r in results]
    srs = [m["sharpe"] for m in stats if np.isfinite(m["sharpe"])]
    var_sr = float(np.var(srs, ddof=1)) if len(srs) > 1 else 0.0
    psr: list[float] = []
    dsr: list[float] = []
    for m in stats:
        args = (m["sharpe"], m["n_obs"], m["skew"], m["kurtosis"])
        psr.append(probabilistic_sharpe_ratio(*args))
        dsr.append(deflated_sharpe_ratio(*args, n_trials=len(results), var_sr=var_sr))
    return psr, dsr


def _unique_names(configs: Sequence[Config]) -> list[str]:
    names: list[str] = []
    for config in configs:
        name, n = config.name, 2
        while name in names:
            name, n = f"{config.name}-{n}", n + 1
        names.append(name)
    return names


def by_rank(comparison: Comparison) -> list[Backtest]:
    """The results in the order of the table (best first), each beside its own row."""
    order = {
        name: i for i, name in enumerate(_unique_names([r.config for r in comparison.results]))
    }
    return [comparison.results[order[name]] for name in comparison.table.index]


def save(comparison: Comparison, results_dir: Path) -> Path:
    """Write ``table.csv``, ``table.json``, ``notes.txt`` and ``compare.html`` to a new folder."""
    with new_folder(results_dir, "compare", tag=timestamp()) as staging:
        comparison.table.to_csv(staging.path / "table.csv")
        records = json.loads(comparison.table.to_json(orient="index"))
        (staging.path / "table.json").write_text(json.dumps(records, indent=2) + "\n")
        (staging.path / "notes.txt").write_text("".join(f"{n}\n" for n in comparison.notes))
        from rotation.report.studies import compare_page

        values = {
            name: result.simulation.value
            for name, result in zip(comparison.table.index, by_rank(comparison), strict=True)
        }
        page = compare_page(values, comparison.table)
        (staging.path / "compare.html").write_text(page, encoding="utf-8")
    assert staging.published is not None  # new_folder sets it when the block succeeds
    return staging.published
