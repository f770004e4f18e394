"""The regime laboratory: what the signal said, when it changed, and what followed each state.

``signal_history`` computes a config's components, composite and regime on its trading
calendar (plus the NFCI financial-conditions score as a cross-check when the config does not use
it); ``current_state`` says where the regime stands; ``diagnose`` measures how often each state
occurred, how long its spells lasted, and the forward returns of every sleeve per state, which is
the direct test of the thesis (do speculative assets lag cash-flow names when capital is scarce?).
``write_signal_outputs`` writes the history (CSV), the tables (CSV) and a chart (PNG and HTML,
drawn by ``rotation.report.signals``); ``save`` writes them into a new run-style folder.

Forward returns: for a day t whose regime is known, a sleeve's h-day forward return is the mean
over its members listed at t of ``P[t+lag+h] / P[t+lag] - 1`` (an equal-weight basket bought at
the first close a trade could act on the signal, ``lag`` = the config's ``execution_lag``, and
held h trading days). Windows of consecutive days overlap, so the day count overstates the
evidence; ``windows`` counts the non-overlapping ones (greedy, earliest first).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from rotation._types import Prices, Regime
from rotation.config import Config
from rotation.errors import DataError, RotationError
from rotation.pipeline import Inputs, Window, load_inputs, prepare
from rotation.regime import STATES, regime_changes, spells

HORIZONS: Mapping[str, int] = {"1m": 21, "3m": 63, "6m": 126}
"""Forward-return horizons in trading days."""

CROSS_CHECK = "conditions"


@dataclass(frozen=True)
class SignalHistory:
    """A config's signal on its trading calendar, from the first day the composite is known.

    ``signals``: dates x (components..., composite); ``regime``: state per date; ``prices``:
    the universe's aligned closes on the same dates; ``cross_check``: whether ``conditions``
    (NFCI) was added with weight 0 for display only; ``funding``: with a ``funding`` component,
    its measures and the hyperscalers each aggregate summed on each date
    (``data.funding.funding_measures``), else None.
    """

    config: Config
    signals: pd.DataFrame
    regime: Regime
    prices: Prices
    window: Window
    cross_check: bool
    funding: pd.DataFrame | None = None


def _with_cross_check(config: Config) -> Config | None:
    if CROSS_CHECK in config.signal.weights:
        return None
    weights = {**config.signal.weights, CROSS_CHECK: 0.0}
    return config.replace(signal=dataclasses.replace(config.signal, weights=weights))


def signal_history(config: Config, inputs: Inputs | None = None) -> SignalHistory:
    """Components, composite and regime of ``config`` (loads its inputs unless given).

    The composite and regime are exactly those of a backtest of ``config``: the cross-check
    component enters with weight 0.
    """
    used, cross_check = config, False
    extended = _with_cross_check(config) if inputs is None else None
    if extended is not None:
        try:
            inputs, used, cross_check = load_inputs(extended), extended, True
        except DataError:
            inputs = None
    inputs = inputs or load_inputs(config)
    # the cross-check adds a weight-0 component: the same composite and regime as ``config``
    prepared = prepare(used, inputs)
    signals, regime, prices = prepared.signals, prepared.regime, prepared.prices
    known = signals["composite"].notna()
    if not known.any():
        raise DataError(f"{config.name}: the composite is never known; check the signal series")
    first = signals.index[int(known.to_numpy().argmax())]
    funding = None
    if "funding" in config.signal.components:
        from rotation.data.funding import funding_measures

        dates = pd.DatetimeIndex(signals.index[signals.index >= first])
        funding = funding_measures(inputs.funding, inputs.capex, dates)
    return SignalHistory(
        config=config,
        signals=signals.loc[first:],
        regime=regime.loc[first:],
        prices=prices.loc[first:],
        window=prepared.window,
        cross_check=cross_check,
        funding=funding,
    )


def current_state(history: SignalHistory) -> dict[str, Any]:
    """The latest day's regime, since when, the previous state, composite and components."""
    regime = history.regime.dropna()
    if regime.empty:
        raise RotationError(f"{history.config.name}: the regime is never known")
    last = regime.index[-1]
    changed = regime_changes(regime)
    change_days = regime.index[changed.to_numpy()]
    since = change_days[-1] if len(change_days) else regime.index[0]
    previous = regime.loc[: since - pd.Timedelta(days=1)]
    row = history.signals.loc[last]
    weights = history.config.signal.weights
    return {
        "date": last,
        "regime": regime.iloc[-1],
        "since": since,
        "days_in_state": int((regime.index >= since).sum()),
        "previous": previous.iloc[-1] if len(previous) else None,
        "composite": float(row["composite"]),
        "components": {
            c: (float(row[c]), float(weights.get(c, 0.0)), _last_known(history.signals[c]))
            for c in history.signals.columns
            if c != "composite"
        },
        "changes": len(change_days),
    }


def _last_known(series: pd.Series) -> pd.Timestamp | None:
    known = series.dropna()
    return known.index[-1] if len(known) else None


# --- statistics -------------------------------------------------------------------------------


def state_table(regime: Regime) -> pd.DataFrame:
    """Per state: days, share of known days, spells, mean / median / longest spell in days.

    A spell cut by the start or end of ``regime`` counts with the days it has inside it.
    """
    runs = spells(regime)
    known = regime.dropna()
    rows = []
    for state in STATES:
        mine = runs[runs["state"] == state]["days"]
        rows.append(
            {
                "state": state,
                "days": int((known == state).sum()),
                "share": float((known == state).mean()) if len(known) else np.nan,
                "spells": len(mine),
                "mean_days": float(mine.mean()) if len(mine) else np.nan,
                "median_days": float(mine.median()) if len(mine) else np.nan,
                "longest_days": int(mine.max()) if len(mine) else 0,
            }
        )
    return pd.DataFrame(rows).set_index("state")


def sleeve_forward_returns(
    prices: Prices, universe: Mapping[str, Sequence[str]], horizon: int, lag: int
) -> pd.DataFrame:
    """dates x sleeves: mean over listed members of ``P[t+lag+horizon] / P[t+lag] - 1``.

    A member counts on day t when it has a close on t and at both ends of the window.
    """
    entry = prices.shift(-lag)
    exit_ = prices.shift(-(lag + horizon))
    member = (exit_ / entry - 1.0).where(prices.notna())
    return pd.DataFrame(
        {sleeve: member[list(symbols)].mean(axis=1) for sleeve, symbols in universe.items()}
    )


def non_overlapping(positions: np.ndarray, horizon: int) -> int:
    """How many of the windows starting at row ``positions`` (sorted) can be taken without
    overlap, taking the earliest first."""
    taken, free_from = 0, -np.inf
    for p in positions:
        if p >= free_from:
            taken += 1
            free_from = p + horizon
    return taken


def forward_returns_by_state(
    prices: Prices,
    regime: Regime,
    universe: Mapping[str, Sequence[str]],
    *,
    lag: int = 1,
    horizons: Mapping[str, int] = HORIZONS,
    spreads: Sequence[tuple[str, str]] = (),
) -> pd.DataFrame:
    """Long table: state, sleeve, horizon, mean, median, days, windows (see module docstring).

    ``spreads`` adds rows "a - b": the day-by-day difference of two sleeves' forward returns.
    ``regime`` and ``prices`` share one index (the rows are trading days).
    """
    rows = []
    position = np.arange(len(prices))
    for label, h in horizons.items():
        forward = sleeve_forward_returns(prices, universe, h, lag)
        for a, b in spreads:
            forward[f"{a} - {b}"] = forward[a] - forward[b]
        for state in STATES:
            in_state = (regime == state).to_numpy()
            for sleeve in forward.columns:
                values = forward[sleeve].to_numpy()
                ok = in_state & np.isfinite(values)
                picked = values[ok]
                rows.append(
                    {
                        "state": state,
                        "sleeve": sleeve,
                        "horizon": label,
                        "mean": float(picked.mean()) if ok.any() else np.nan,
                        "median": float(np.median(picked)) if ok.any() else np.nan,
                        "days": int(ok.sum()),
                        "windows": non_overlapping(position[ok], h),
                    }
                )
    return pd.DataFrame(rows)


@dataclass(frozen=True)
class Diagnosis:
    states: pd.DataFrame  # state_table over the backtest window
    returns: pd.DataFrame  # forward_returns_by_state over the backtest window
    start: pd.Timestamp
    end: pd.Timestamp
    funding_members: pd.DataFrame | None = None  # funding_spans over the window, if any


def funding_spans(funding: pd.DataFrame) -> pd.DataFrame:
    """The runs of days over which the hyperscalers in each funding aggregate stayed the same:
    from, to, days, coverage_members, external_members (``-`` = none, the measure unknown)."""
    members = funding[["coverage_members", "external_members"]].replace("", "-")
    changed = members.ne(members.shift()).any(axis=1)
    run = changed.cumsum()
    rows = []
    for _, group in members.groupby(run, sort=True):
        rows.append(
            {
                "from": group.index[0].date(),
                "to": group.index[-1].date(),
                "days": len(group),
                "coverage_members": group["coverage_members"].iloc[0],
                "external_members": group["external_members"].iloc[0],
            }
        )
    return pd.DataFrame(
        rows, columns=["from", "to", "days", "coverage_members", "external_members"]
    )


def diagnose(history: SignalHistory, horizons: Mapping[str, int] = HORIZONS) -> Diagnosis:
    """State frequencies and durations, and forward sleeve returns per state, over the config's
    backtest window. Adds "cash_flow - speculative" when the universe has both sleeves."""
    window = history.window
    rows = (history.regime.index >= window.start) & (history.regime.index <= window.end)
    # forward returns read prices after the window end when they exist: they are outcomes
    prices = history.prices
    regime = history.regime.where(rows)
    universe = history.config.universe
    spreads = (
        [("cash_flow", "speculative")] if {"cash_flow", "speculative"} <= set(universe) else []
    )
    returns = forward_returns_by_state(
        prices,
        regime,
        universe,
        lag=history.config.execution_lag,
        horizons=horizons,
        spreads=spreads,
    )
    funding = None
    if history.funding is not None:
        funding = funding_spans(history.funding.loc[history.regime.index[rows]])
    return Diagnosis(
        states=state_table(history.regime.loc[rows]),
        returns=returns,
        start=history.regime.index[rows][0],
        end=history.regime.index[rows][-1],
        funding_members=funding,
    )


def regime_differences(first: Regime, latest: Regime) -> pd.DataFrame:
    """The runs of days on which two regime histories disagree (first-release vs latest
    vintage data): from, to, days, first_release, latest. Days either history lacks count as
    ``n/a``; an empty frame when they agree on every day."""
    days = first.index.union(latest.index)
    a = first.reindex(days).astype(object).where(first.reindex(days).notna(), "n/a")
    b = latest.reindex(days).astype(object).where(latest.reindex(days).notna(), "n/a")
    differs = a.ne(b)
    run = (differs.ne(differs.shift()) | a.ne(a.shift()) | b.ne(b.shift())).cumsum()
    rows = [
        {
            "from": group.index[0].date(),
            "to": group.index[-1].date(),
            "days": len(group),
            "first_release": a[group.index[0]],
            "latest": b[group.index[0]],
        }
        for _, group in differs[differs].groupby(run[differs], sort=True)
    ]
    return pd.DataFrame(rows, columns=["from", "to", "days", "first_release", "latest"])


def format_regime_differences(differences: pd.DataFrame, first: Regime) -> str:
    """The runs where first-release and latest data give different regimes, as a table."""
    total = int(differences["days"].sum()) if len(differences) else 0
    head = (
        f"regime with first-release (ALFRED) vs latest FRED data: differs on {total} of "
        f"{int(first.notna().sum())} days"
    )
    if differences.empty:
        return head
    return "\n".join(
        [
            head + ":",
            _table(
                ["from", "to", "days", "first release", "latest"],
                differences.astype(str).to_numpy().tolist(),
                "llrll",
            ),
        ]
    )


# --- text -------------------------------------------------------------------------------------


def _table(header: Sequence[str], rows: Sequence[Sequence[object]], align: str) -> str:
    """Aligned text table; ``align`` has one letter per column, "l" or "r"."""
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]

    def line(cells: Sequence[object]) -> str:
        return "  ".join(
            str(c).rjust(w) if a == "r" else str(c).ljust(w)
            for c, w, a in zip(cells, widths, align, strict=True)
        ).rstrip()

    return "\n".join([line(header), line(["-" * w for w in widths]), *map(line, rows)])


def _pct(x: float) -> str:
    return "n/a" if x is None or not np.isfinite(x) else f"{x:+.1%}"


def format_current(state: Mapping[str, Any]) -> str:
    """The "where are we" block: regime, since when, composite and components."""
    lines = [
        f"regime on {state['date'].date()}: {state['regime']} "
        f"(since {state['since'].date()}, {state['days_in_state']} trading days; "
        f"before: {state['previous'] or 'n/a'}; {state['changes']} changes in the history)",
        f"composite: {state['composite']:+.2f}",
    ]
    rows = []
    for name, (value, weight, last) in state["components"].items():
        score = f"{value:+.2f}" if np.isfinite(value) else "n/a"
        notes = ["cross-check, not in the composite"] if weight == 0 else []
        if not np.isfinite(value):
            notes.append(f"stale: last known {last.date()}" if last else "never known")
        rows.append([name, score, f"{weight:g}", "; ".join(notes)])
    lines.append(_table(["component", "score", "weight", "note"], rows, "lrrl"))
    return "\n".join(lines)


def format_diagnosis(diagnosis: Diagnosis) -> str:
    """Two aligned tables: state frequency / duration, and forward returns per state."""
    s = diagnosis.states
    state_rows = [
        [
            state,
            str(int(r["days"])),
            f"{r['share']:.1%}",
            str(int(r["spells"])),
            "n/a" if not np.isfinite(r["mean_days"]) else f"{r['mean_days']:.1f}",
            "n/a" if not np.isfinite(r["median_days"]) else f"{r['median_days']:.0f}",
            str(int(r["longest_days"])),
        ]
        for state, r in s.iterrows()
    ]
    header = ["state", "days", "share", "spells", "mean days", "median days", "longest"]
    r = diagnosis.returns
    horizons = list(dict.fromkeys(r["horizon"]))
    ret_header = ["state", "sleeve"]
    for h in horizons:
        ret_header += [f"{h} mean", f"{h} median", f"{h} days/windows"]
    ret_rows = []
    for (state, sleeve), group in r.groupby(["state", "sleeve"], sort=False):
        cells = [state, sleeve]
        by_h = group.set_index("horizon")
        for h in horizons:
            g = by_h.loc[h]
            cells += [_pct(g["mean"]), _pct(g["median"]), f"{g['days']}/{g['windows']}"]
        ret_rows.append(cells)
    period = f"{diagnosis.start.date()} .. {diagnosis.end.date()}"
    lines = [
        f"regime states, {period} (days = trading days):",
        _table(header, state_rows, "l" + "r" * (len(header) - 1)),
        "",
        f"forward returns by regime known on the day, {period} (equal-weight sleeve; "
        "days = overlapping daily windows, windows = non-overlapping):",
        _table(ret_header, ret_rows, "ll" + "r" * (len(ret_header) - 2)),
    ]
    spans = diagnosis.funding_members
    if spans is not None:
        lines += [
            "",
            "funding: the hyperscalers each aggregate summed (capex coverage; net external "
            "funding), a company without four known consecutive quarters left out:",
            _table(
                ["from", "to", "days", "coverage", "external"],
                spans.astype(str).to_numpy().tolist(),
                "llrll",
            ),
        ]
    return "\n".join(lines)


# --- files ------------------------------------------------------------------------------------


def history_frame(history: SignalHistory) -> pd.DataFrame:
    """signals.csv: date x (components..., composite, regime, regime_changed)."""
    frame = history.signals.copy()
    frame["regime"] = history.regime
    frame["regime_changed"] = regime_changes(history.regime)
    return frame


def write_signal_outputs(
    history: SignalHistory, folder: Path, diagnosis: Diagnosis | None = None
) -> list[Path]:
    """Write signals.csv, chart.png, chart.html (and states.csv, forward_returns.csv; with a
    ``funding`` component, funding.csv: its measures and members per day)."""
    folder = Path(folder)
    written = [folder / "signals.csv"]
    history_frame(history).to_csv(written[0], index_label="date")
    if diagnosis is not None:
        diagnosis.states.to_csv(folder / "states.csv")
        diagnosis.returns.to_csv(folder / "forward_returns.csv", index=False)
        written += [folder / "states.csv", folder / "forward_returns.csv"]
    if history.funding is not None:
        written.append(folder / "funding.csv")
        history.funding.to_csv(written[-1], index_label="date")
    from rotation.report.signals import signal_chart_html, signal_chart_png

    written.append(signal_chart_png(history, folder / "chart.png"))
    written.append(signal_chart_html(history, folder / "chart.html"))
    return written


def save(history: SignalHistory, results_dir: Path, diagnosis: Diagnosis | None = None) -> Path:
    """Write the outputs (``write_signal_outputs``) into a new folder
    ``results_dir/<name>-signals-<time>[-n]/``, atomically; return its path."""
    from rotation.runs import new_folder, timestamp

    tag = f"signals-{timestamp()}"
    with new_folder(results_dir, history.config.name, tag=tag, what="the signals") as staging:
        write_signal_outputs(history, staging.path, diagnosis)
    assert staging.published is not None  # new_folder sets it when the block succeeds
    return staging.published
