"""The thesis on trial: does the capital-scarcity regime separate the sleeves' returns beyond
luck and hindsight? Pure computation (no HTML, no files); ``rotation thesis`` writes and prints.

Definitions (one place each):

- **Forward spread** of a sleeve pair "a - b" at horizon h on decision day t:
  ``diagnose.sleeve_forward_returns`` of a minus that of b (equal-weight sleeves bought at the
  first close after the config's ``execution_lag``, held h trading days). The regime is the one
  known at the close of t. Only days inside the backtest window count; forward windows read
  prices after the window end when they exist.
- **Interval**: the 90% percentile interval of the mean over ``REPS`` draws of
  ``arch.bootstrap.StationaryBootstrap`` (mean block length = h, seeded) applied to the
  in-state days in date order.
- **HAC t**: the mean over its Newey-West standard error with ``h - 1`` lags (Bartlett
  weights), which accounts for the overlap of consecutive h-day windows (``newey_west_t``).
- **Spells**: uninterrupted runs of the state (``regime.spells``) holding at least one counted
  day; the independent evidence is nearer the spells than the days.
- **Regime placebo**: the window's spells in a random order (each keeps its state and length),
  ``draws`` times; p-value = (1 + draws at least as large as the real figure) / (1 + draws).
- **Strategy Sharpe placebo** (a proxy, labelled so): the config's regime ``allocations``
  applied each day to the sleeves' next-day returns (no costs, no risk-free rate, daily
  rebalanced), under the real and the shuffled regimes.
- **Universe placebo**: the thesis' first sleeve replaced by as many bundled single equities
  the thesis does not name (``PLACEBO_EQUITIES``), drawn at random ``draws`` times.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from rotation._types import Prices, Regime
from rotation.config import Config
from rotation.diagnose import HORIZONS, sleeve_forward_returns
from rotation.errors import ConfigError
from rotation.metrics import finite_or_none, sharpe_ratio
from rotation.regime import STATES

THESIS_PAIR = ("cash_flow", "speculative")
"""The pair the thesis names: near-term cash flow minus long-duration speculation."""
THESIS_STATE = "scarce"
THESIS_HORIZON = "3m"
REPS = 1000
"""Bootstrap draws per interval."""
CONFIDENCE = 0.90
SEED = 20260516
PLACEBO_EQUITIES = (
    "ADBE", "AMZN", "CRM", "DDOG", "GOOGL", "META", "MSFT", "NOW", "ORCL", "SHOP", "SNOW",
)  # fmt: skip
"""Bundled single equities the thesis does not name (ETFs, bonds and the Korean memory makers,
which are thesis names on another calendar, excluded); those in a config's universe are
dropped too."""


# --- statistics -------------------------------------------------------------------------------


def newey_west_t(values: np.ndarray, lags: int) -> float:
    """t-statistic of the mean of ``values`` with the Newey-West (Bartlett) long-run variance:
    ``s = g0 + 2 * sum_{k=1..L} (1 - k / (L + 1)) * g_k``, ``g_k = sum(u_t u_{t-k}) / n``,
    ``u = x - mean``, ``t = mean / sqrt(s / n)``. ``lags`` is capped at n - 1; NaN below 2
    values or with zero variance."""
    x = np.asarray(values, dtype=np.float64)
    x = x[np.isfinite(x)]
    n = len(x)
    if n < 2:
        return float("nan")
    u = x - x.mean()
    lags = min(max(lags, 0), n - 1)
    long_run = float(u @ u) / n
    for k in range(1, lags + 1):
        long_run += 2.0 * (1.0 - k / (lags + 1)) * float(u[k:] @ u[:-k]) / n
    if long_run <= 0:
        return float("nan")
    return float(x.mean() / np.sqrt(long_run / n))


def bootstrap_interval(
    values: np.ndarray, block: int, *, reps: int = REPS, seed: int = SEED
) -> tuple[float, float]:
    """The ``CONFIDENCE`` percentile interval of the mean of ``values`` (in order) under
    ``arch``'s stationary bootstrap with mean block length ``block``; NaNs below 2 values."""
    from arch.bootstrap import StationaryBootstrap

    x = np.asarray(values, dtype=np.float64)
    if len(x) < 2:
        return float("nan"), float("nan")
    bs = StationaryBootstrap(max(block, 1), x, seed=np.random.default_rng(seed))
    low, high = bs.conf_int(np.mean, reps=reps, method="percentile", size=CONFIDENCE)
    return float(low[0]), float(high[0])


def describe(low: float | None, high: float | None) -> str:
    """The strongest word the interval allows: positive, negative or not distinguishable."""
    if low is None or high is None:
        return "not measurable"
    if low > 0:
        return "positive"
    if high < 0:
        return "negative"
    return "not distinguishable from zero"


# --- inputs -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Evidence:
    """What the statistics read, on the backtest window's trading days (T rows).

    ``spreads``: (pair label, horizon label) -> (T,) forward spread; ``states``: (T,) state or
    None; ``spell``: (T,) spell number (-1 where the state is unknown); ``sleeve_next_day``:
    dates x sleeves, the next-day forward returns (``sleeve_forward_returns`` with h = 1);
    ``pool``: dates x single equities of the universe placebo, their 3m forward returns.
    """

    dates: pd.DatetimeIndex
    spreads: Mapping[tuple[str, str], np.ndarray]
    states: np.ndarray
    spell: np.ndarray
    sleeve_next_day: pd.DataFrame
    pool: pd.DataFrame
    thesis_members: pd.DataFrame  # dates x thesis-pair members: their 3m forward returns
    thesis_sleeves: Mapping[str, Sequence[str]]  # the thesis pair's sleeves and members
    pairs: tuple[tuple[str, str], ...]


def sleeve_pairs(universe: Mapping[str, Sequence[str]]) -> tuple[tuple[str, str], ...]:
    """The thesis pair first (when the universe has both), then every other pair of sleeves in
    universe order."""
    names = list(universe)
    pairs = [THESIS_PAIR] if set(THESIS_PAIR) <= set(names) else []
    for a, b in itertools.combinations(names, 2):
        if {a, b} != set(THESIS_PAIR):
            pairs.append((a, b))
    return tuple(pairs)


def label(pair: tuple[str, str]) -> str:
    return f"{pair[0]} - {pair[1]}"


def gather(
    prices: Prices,
    regime: Regime,
    universe: Mapping[str, Sequence[str]],
    *,
    lag: int,
    in_window: np.ndarray,
    pool_prices: Prices | None = None,
) -> Evidence:
    """Forward spreads, states and spells on the window's rows. ``prices`` (dates x symbols)
    and ``regime`` share one index; ``pool_prices`` (same index) feeds the universe placebo."""
    pairs = sleeve_pairs(universe)
    window = np.asarray(in_window, dtype=bool)
    spreads: dict[tuple[str, str], np.ndarray] = {}
    for horizon, h in HORIZONS.items():
        forward = sleeve_forward_returns(prices, universe, h, lag)
        for a, b in pairs:
            spreads[(label((a, b)), horizon)] = (forward[a] - forward[b]).to_numpy()[window]
    states_all = regime.where(window).to_numpy(dtype=object)
    states = states_all[window]
    known = pd.notna(states)
    spell = np.full(len(states), -1)
    codes = pd.Series(states[known])
    spell[known] = np.cumsum(codes.ne(codes.shift()).to_numpy()) - 1
    h3 = HORIZONS[THESIS_HORIZON]
    thesis_sleeves = {sleeve: list(universe[sleeve]) for sleeve in (pairs[0] if pairs else ())}
    members = list(dict.fromkeys(s for names in thesis_sleeves.values() for s in names))

    def each(frame: Prices, symbols: Sequence[str]) -> pd.DataFrame:
        """Each symbol's own forward return (a sleeve of one)."""
        if not len(symbols):
            return pd.DataFrame(index=prices.index)
        return sleeve_forward_returns(frame, {s: [s] for s in symbols}, h3, lag)

    pool = pool_prices if pool_prices is not None else prices.iloc[:, :0]
    return Evidence(
        dates=pd.DatetimeIndex(prices.index[window]),
        spreads=spreads,
        states=states,
        spell=spell,
        sleeve_next_day=sleeve_forward_returns(prices, universe, 1, lag).loc[window],
        pool=each(pool, list(pool.columns)).loc[window],
        thesis_members=each(prices, members).loc[window],
        thesis_sleeves=thesis_sleeves,
        pairs=pairs,
    )


# --- tables -----------------------------------------------------------------------------------


def _mean_in(spread: np.ndarray, mask: np.ndarray) -> float:
    ok = mask & np.isfinite(spread)
    return float(spread[ok].mean()) if ok.any() else float("nan")


def conditional_spreads(
    ev: Evidence, *, reps: int = REPS, seed: int = SEED
) -> list[dict[str, Any]]:
    """Per pair, state and horizon: mean, median, bootstrap interval, HAC t, spells, days."""
    rows = []
    for n, ((pair, horizon), spread) in enumerate(ev.spreads.items()):
        h = HORIZONS[horizon]
        for k, state in enumerate(STATES):
            ok = (ev.states == state) & np.isfinite(spread)
            picked = spread[ok]
            low, high = bootstrap_interval(picked, h, reps=reps, seed=seed + 10 * n + k)
            rows.append(
                {
                    "pair": pair,
                    "state": state,
                    "horizon": horizon,
                    "horizon_days": h,
                    "mean": finite_or_none(picked.mean()) if len(picked) else None,
                    "median": finite_or_none(np.median(picked)) if len(picked) else None,
                    "ci_low": finite_or_none(low),
                    "ci_high": finite_or_none(high),
                    "hac_t": finite_or_none(newey_west_t(picked, h - 1)),
                    "spells": len(np.unique(ev.spell[ok])),
                    "days": int(ok.sum()),
                }
            )
    return rows


def shuffled_states(states: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """``states`` with its spells (runs of one state among the known days) in a random order:
    each spell keeps its state and length; unknown days stay unknown."""
    known = np.flatnonzero(pd.notna(states))
    codes = pd.Series(states[known])
    starts = np.flatnonzero(codes.ne(codes.shift()).to_numpy())
    lengths = np.diff(np.append(starts, len(codes)))
    order = rng.permutation(len(starts))
    out = states.copy()
    out[known] = np.repeat(codes.to_numpy()[starts][order], lengths[order])
    return out


def proxy_sharpe(
    next_day: pd.DataFrame, states: np.ndarray, allocations: Mapping[str, Mapping[str, float]]
) -> float:
    """Annualized Sharpe of the regime allocations held on the sleeves' next-day returns (a
    proxy of the strategy: daily rebalanced, no costs, no risk-free rate; a sleeve without a
    return that day earns 0). Days of unknown state are left out."""
    returns = np.nan_to_num(next_day.to_numpy())
    weights = np.array(
        [[float(allocations.get(s, {}).get(c, 0.0)) for c in next_day.columns] for s in STATES]
    )
    code = pd.Series(states).map({s: i for i, s in enumerate(STATES)}).to_numpy()
    known = np.isfinite(code)
    daily = (weights[code[known].astype(int)] * returns[known]).sum(axis=1)
    return float(sharpe_ratio(daily))


def _p_value(real: float, placebo: np.ndarray) -> float | None:
    """Share of placebo figures at least as large as ``real``, counting the real one."""
    if not np.isfinite(real):
        return None
    placebo = placebo[np.isfinite(placebo)]
    return float((1 + (placebo >= real).sum()) / (1 + len(placebo)))


def placebos(
    ev: Evidence,
    *,
    draws: int,
    seed: int = SEED,
    allocations: Mapping[str, Mapping[str, float]] | None = None,
    strategy_sharpe: float | None = None,
) -> tuple[dict[str, Any], pd.DataFrame]:
    """Regime, strategy-Sharpe and universe placebos of the thesis spread (scarce, 3m).
    Returns the summary and a table of every draw."""
    rng = np.random.default_rng(seed)
    out: dict[str, Any] = {"draws": draws, "seed": seed}
    key = (label(ev.pairs[0]), THESIS_HORIZON) if ev.pairs else None
    spread = ev.spreads[key] if key else np.full(len(ev.states), np.nan)
    real = _mean_in(spread, ev.states == THESIS_STATE)
    real_proxy = proxy_sharpe(ev.sleeve_next_day, ev.states, allocations) if allocations else None
    table: dict[str, np.ndarray] = {
        "regime_spread": np.full(draws, np.nan),
        "strategy_proxy_sharpe": np.full(draws, np.nan),
        "universe_spread": np.full(draws, np.nan),
    }
    for i in range(draws):
        fake = shuffled_states(ev.states, rng)
        table["regime_spread"][i] = _mean_in(spread, fake == THESIS_STATE)
        if allocations:
            table["strategy_proxy_sharpe"][i] = proxy_sharpe(ev.sleeve_next_day, fake, allocations)
    size = len(ev.thesis_sleeves[ev.pairs[0][0]]) if key else 0
    if key and ev.pool.shape[1] >= size > 0:
        second = ev.pairs[0][1]
        second_forward = ev.thesis_members[list(ev.thesis_sleeves[second])].mean(axis=1)
        scarce = ev.states == THESIS_STATE
        for i in range(draws):
            picked = rng.choice(ev.pool.shape[1], size=size, replace=False)
            basket = ev.pool.iloc[:, picked].mean(axis=1)
            table["universe_spread"][i] = _mean_in((basket - second_forward).to_numpy(), scarce)
        out["universe_pool"] = list(ev.pool.columns)
        out["universe_replaced"] = ev.pairs[0][0]
        out["universe_against"] = second
    out.update(
        {
            "thesis": f"{key[0]}, {THESIS_STATE}, {THESIS_HORIZON}" if key else None,
            "real_spread": finite_or_none(real),
            "regime_p_value": _p_value(real, table["regime_spread"]) if key else None,
            "strategy_sharpe": (
                finite_or_none(strategy_sharpe) if strategy_sharpe is not None else None
            ),
            "strategy_proxy_sharpe": finite_or_none(real_proxy) if real_proxy is not None else None,
            "strategy_sharpe_p_value": (
                _p_value(real_proxy, table["strategy_proxy_sharpe"])
                if real_proxy is not None
                else None
            ),
            "strategy_sharpe_placebo": (
                "proxy: the regime allocations on daily sleeve returns, no costs, no risk-free "
                "rate, real and shuffled regimes alike"
                if real_proxy is not None
                else "the strategy has no regime allocations: no Sharpe placebo"
            ),
            "universe_p_value": (
                _p_value(real, table["universe_spread"])
                if np.isfinite(table["universe_spread"]).any()
                else None
            ),
            "universe_median_spread": finite_or_none(np.nanmedian(table["universe_spread"]))
            if np.isfinite(table["universe_spread"]).any()
            else None,
        }
    )
    return out, pd.DataFrame(table).rename_axis("draw")


def _thesis_spread(ev: Evidence) -> np.ndarray:
    if not ev.pairs:
        return np.full(len(ev.states), np.nan)
    return ev.spreads[(label(ev.pairs[0]), THESIS_HORIZON)]


def leave_one_spell_out(ev: Evidence) -> list[dict[str, Any]]:
    """The thesis spread (scarce, 3m) without each scarce spell in turn; ``last`` marks the
    latest scarce spell, ``ongoing`` one still running on the window's last day."""
    spread = _thesis_spread(ev)
    scarce = ev.states == THESIS_STATE
    counted = scarce & np.isfinite(spread)
    ids = [int(i) for i in np.unique(ev.spell[scarce])]
    full = _mean_in(spread, scarce)
    rows = []
    for i in ids:
        mine = ev.spell == i
        days = np.flatnonzero(mine)
        without = _mean_in(spread, scarce & ~mine)
        rows.append(
            {
                "start": ev.dates[days[0]].date().isoformat(),
                "end": ev.dates[days[-1]].date().isoformat(),
                "days": len(days),
                "counted_days": int((counted & mine).sum()),
                "spell_mean": finite_or_none(_mean_in(spread, mine)),
                "spread_without": finite_or_none(without),
                "change": finite_or_none(without - full),
                "last": i == ids[-1],
                "ongoing": bool(days[-1] == len(ev.states) - 1),
            }
        )
    return rows


def leave_one_asset_out(ev: Evidence) -> list[dict[str, Any]]:
    """The thesis spread (scarce, 3m) without each member of the thesis pair in turn."""
    if not ev.pairs:
        return []
    first, second = ev.pairs[0]
    scarce = ev.states == THESIS_STATE
    rows = []
    for sleeve in (first, second):
        for symbol in ev.thesis_sleeves[sleeve]:
            names = {s: [m for m in ev.thesis_sleeves[s] if s != sleeve or m != symbol]
                     for s in (first, second)}  # fmt: skip
            if not names[sleeve]:
                continue
            legs = [ev.thesis_members[names[s]].mean(axis=1) for s in (first, second)]
            rows.append(
                {
                    "sleeve": sleeve,
                    "symbol": symbol,
                    "spread_without": finite_or_none(
                        _mean_in((legs[0] - legs[1]).to_numpy(), scarce)
                    ),
                }
            )
    return rows


def sub_periods(ev: Evidence, split: pd.Timestamp) -> list[dict[str, Any]]:
    """The thesis spread (3m) per state in each calendar year, and before / from ``split``."""
    spread = _thesis_spread(ev)
    years = ev.dates.year
    periods: list[tuple[str, np.ndarray]] = [
        (str(y), np.asarray(years == y)) for y in sorted(set(years))
    ]
    before = np.asarray(ev.dates < split)
    periods += [(f"before {split.date()}", before), (f"from {split.date()}", ~before)]
    rows = []
    for period, rows_in in periods:
        for state in STATES:
            mask = rows_in & (ev.states == state)
            ok = mask & np.isfinite(spread)
            rows.append(
                {
                    "period": period,
                    "state": state,
                    "mean": finite_or_none(_mean_in(spread, mask)),
                    "days": int(ok.sum()),
                    "spells": len(np.unique(ev.spell[ok])),
                }
            )
    return rows


def default_split(dates: pd.DatetimeIndex) -> pd.Timestamp:
    """The midpoint of the window's trading days: the default ``--split``."""
    return pd.Timestamp(dates[len(dates) // 2])


def parse_split(text: str | None, dates: pd.DatetimeIndex) -> pd.Timestamp:
    """``--split``: a date (YYYY-MM-DD) strictly inside the window; the midpoint if None."""
    if text is None:
        return default_split(dates)
    try:
        split = pd.Timestamp(str(text))
    except (ValueError, TypeError):
        raise ConfigError(f"--split {text!r} is not a date (YYYY-MM-DD)") from None
    if pd.isna(split) or not dates[0] < split <= dates[-1]:
        raise ConfigError(
            f"--split {text!r} is outside the backtest window "
            f"{dates[0].date()} .. {dates[-1].date()}"
        )
    return split


def thesis_statistics(
    ev: Evidence,
    *,
    split: str | None = None,
    draws: int = 1000,
    reps: int = REPS,
    seed: int = SEED,
    allocations: Mapping[str, Mapping[str, float]] | None = None,
    strategy_sharpe: float | None = None,
) -> tuple[dict[str, Any], dict[str, pd.DataFrame]]:
    """Every statistic of the module docstring: the JSON-safe dict (spreads, placebo,
    leave_one_spell_out, leave_one_asset_out, sub_periods, verdict) and its tables."""
    when = parse_split(split, ev.dates)
    placebo, draws_table = placebos(
        ev, draws=draws, seed=seed, allocations=allocations, strategy_sharpe=strategy_sharpe
    )
    out: dict[str, Any] = {
        "window": {"start": ev.dates[0].date().isoformat(), "end": ev.dates[-1].date().isoformat()},
        "thesis": {
            "pair": label(ev.pairs[0]) if ev.pairs else None,
            "state": THESIS_STATE,
            "horizon": THESIS_HORIZON,
        },
        "settings": {
            "horizons": dict(HORIZONS),
            "bootstrap": f"arch StationaryBootstrap, mean block = horizon, {reps} reps, "
            f"{CONFIDENCE:.0%} percentile interval, seed {seed}",
            "hac": "Newey-West (Bartlett), lags = horizon - 1",
            "split": when.date().isoformat(),
        },
        "spreads": conditional_spreads(ev, reps=reps, seed=seed),
        "placebo": placebo,
        "leave_one_spell_out": leave_one_spell_out(ev),
        "leave_one_asset_out": leave_one_asset_out(ev),
        "sub_periods": sub_periods(ev, when),
    }
    out["verdict"] = verdict(out)
    tables = {
        "spreads": pd.DataFrame(out["spreads"]),
        "placebo_draws": draws_table,
        "leave_one_spell_out": pd.DataFrame(out["leave_one_spell_out"]),
        "leave_one_asset_out": pd.DataFrame(out["leave_one_asset_out"]),
        "sub_periods": pd.DataFrame(out["sub_periods"]),
    }
    return out, tables


# --- verdict ----------------------------------------------------------------------------------


def _pct(x: float | None) -> str:
    return "n/a" if x is None else f"{x:+.1%}"


def _t(x: float | None) -> str:
    return "n/a" if x is None else f"{x:.2f}"


def _p(x: float | None) -> str:
    return "n/a" if x is None else f"{x:.3f}"


def _row(thesis: Mapping[str, Any], state: str, horizon: str) -> Mapping[str, Any] | None:
    pair = thesis["thesis"]["pair"]
    for row in thesis["spreads"]:
        if (row["pair"], row["state"], row["horizon"]) == (pair, state, horizon):
            return row  # type: ignore[no-any-return]
    return None


def verdict(thesis: Mapping[str, Any]) -> list[str]:
    """Plain sentences with the figures, generated from ``thesis`` (``thesis_statistics``):
    what the evidence supports, what it does not, how much rests on one spell or one asset.
    No word is stronger than its 90% interval; when the evidence is weak, the first sentence
    says so."""
    pair, horizon = thesis["thesis"]["pair"], thesis["thesis"]["horizon"]
    if pair is None:
        return [
            "There is no evidence either way: the universe lacks the thesis' sleeves "
            f"({' and '.join(THESIS_PAIR)}), so no spread can be measured."
        ]
    main = _row(thesis, THESIS_STATE, horizon)
    placebo = thesis["placebo"]
    if main is None or main["mean"] is None:
        return [
            f"There is no evidence either way: no {THESIS_STATE} day has a measurable "
            f"{horizon} forward spread of {pair}."
        ]
    word = describe(main["ci_low"], main["ci_high"])
    regime_p = placebo["regime_p_value"]
    strong = word == "positive" and regime_p is not None and regime_p < 0.10
    lead = "The evidence supports the thesis" if strong else "The evidence for the thesis is weak"
    figures = (
        f"in the {THESIS_STATE} state the {horizon} forward spread {pair} averaged "
        f"{_pct(main['mean'])} (median {_pct(main['median'])}, 90% interval "
        f"{_pct(main['ci_low'])} to {_pct(main['ci_high'])}, HAC t {_t(main['hac_t'])}), "
        f"which is {word}, over {main['days']} overlapping days but only {main['spells']} "
        f"independent spell{'s' if main['spells'] != 1 else ''}"
    )
    sentences = [f"{lead}: {figures}."]
    others = []
    for state in STATES:
        if state == THESIS_STATE:
            continue
        row = _row(thesis, state, horizon)
        if row and row["mean"] is not None:
            others.append(
                f"{state} {_pct(row['mean'])} ({_pct(row['ci_low'])} to {_pct(row['ci_high'])}, "
                f"{describe(row['ci_low'], row['ci_high'])}; {row['spells']} spells)"
            )
    if others:
        sentences.append(f"In the other states the same spread was: {'; '.join(others)}.")
    if regime_p is not None:
        timing = (
            "the regime's timing is unlikely to be luck alone"
            if regime_p < 0.05
            else "the regime's timing is not distinguishable from a random order of the same spells"
        )
        sentences.append(
            f"Shuffling the order of the regime's spells {placebo['draws']} times gives a "
            f"{THESIS_STATE} spread at least as large in a share p = {_p(regime_p)}: {timing}."
        )
    if placebo["strategy_sharpe_p_value"] is not None:
        sentences.append(
            f"The strategy's proxy Sharpe ({placebo['strategy_proxy_sharpe']:.2f}: regime "
            "allocations on daily sleeve returns, no costs) is matched or beaten under shuffled "
            f"regimes with p = {_p(placebo['strategy_sharpe_p_value'])}"
            + (
                f"; the engine's Sharpe with costs is {placebo['strategy_sharpe']:.2f}."
                if placebo["strategy_sharpe"] is not None
                else "."
            )
        )
    if placebo["universe_p_value"] is not None:
        names = (
            "the result is specific to the names the thesis chose, knowing their history"
            if placebo["universe_p_value"] < 0.10
            else "the chosen names do no better than arbitrary ones"
        )
        sentences.append(
            f"Replacing {placebo['universe_replaced']} by as many random bundled equities the "
            f"thesis does not name gives a median spread of "
            f"{_pct(placebo['universe_median_spread'])} and one at least as large with "
            f"p = {_p(placebo['universe_p_value'])}: {names}."
        )
    spells = thesis["leave_one_spell_out"]
    if spells:
        without = [s["spread_without"] for s in spells if s["spread_without"] is not None]
        last = spells[-1]
        flips = [s for s in spells if s["spread_without"] is not None
                 and np.sign(s["spread_without"]) != np.sign(main["mean"])]  # fmt: skip
        rest = (
            f"the sign rests on one spell ({flips[0]['start']} to {flips[0]['end']})"
            if flips
            else "no single spell decides its sign"
        )
        if len(spells) == 1:
            rest = "all of it rests on that one spell"
        sentences.append(
            f"Leaving one {THESIS_STATE} spell out moves the spread between "
            f"{_pct(min(without, default=None))} and {_pct(max(without, default=None))}; "
            f"without the last one ({last['start']} to {last['end']}"
            f"{', still running' if last['ongoing'] else ''}) it is "
            f"{_pct(last['spread_without'])}: {rest}."
        )
    assets = [a for a in thesis["leave_one_asset_out"] if a["spread_without"] is not None]
    if assets:
        weakest = min(assets, key=lambda a: a["spread_without"] * np.sign(main["mean"]))
        sentences.append(
            f"The asset it rests on most is {weakest['symbol']} ({weakest['sleeve']}): "
            f"without it the spread is {_pct(weakest['spread_without'])}."
        )
    halves = [
        r for r in thesis["sub_periods"]
        if r["state"] == THESIS_STATE and r["period"].split()[0] in ("before", "from")
    ]  # fmt: skip
    if len(halves) == 2:
        sentences.append(
            "Split at " + thesis["settings"]["split"] + ": "
            + "; ".join(f"{r['period']} {_pct(r['mean'])} over {r['days']} days "
                        f"({r['spells']} spells)" for r in halves)
            + "."
        )  # fmt: skip
    return sentences


# --- a config ---------------------------------------------------------------------------------


def run_thesis(
    config: Config, *, split: str | None = None, draws: int = 1000, reps: int = REPS
) -> tuple[dict[str, Any], dict[str, pd.DataFrame]]:
    """``thesis_statistics`` of a config (a ``rotation.config.Config``) on its data, with its
    backtest's Sharpe and run id, and its resolved config."""
    from rotation.backtest import simulate_prepared
    from rotation.data.align import align_prices
    from rotation.data.sources import open_source
    from rotation.pipeline import load_inputs, prepare

    inputs = load_inputs(config)
    prepared = prepare(config, inputs)
    named = set(config.symbols) | {config.benchmark}
    source = open_source(config)
    pool = {s: source.prices(s) for s in PLACEBO_EQUITIES if s not in named}
    pool_prices = align_prices(pool, prepared.calendar) if pool else None
    ev = gather(
        prepared.prices,
        prepared.regime,
        config.universe,
        lag=config.execution_lag,
        in_window=prepared.in_window,
        pool_prices=pool_prices,
    )
    when = parse_split(split, ev.dates)  # before the backtest: a bad date fails at once
    backtest = simulate_prepared(prepared)
    allocations = config.strategy.params.get("allocations")
    out, tables = thesis_statistics(
        ev,
        split=when.date().isoformat(),
        draws=draws,
        reps=reps,
        allocations=allocations if isinstance(allocations, Mapping) else None,
        strategy_sharpe=backtest.metrics.get("sharpe"),
    )
    from rotation.attribution import attribute

    sim = backtest.simulation
    attribution = attribute(
        sim.weights, sim.close, backtest.returns, config.universe, backtest.regime,
        config.execution_lag,
    )  # fmt: skip
    for part in ("by_asset", "by_sleeve", "by_regime", "by_spell"):
        tables[f"attribution_{part}"] = getattr(attribution, part)
    out = {
        "config": config.to_dict(),
        "run_id": backtest.identity.run_id,
        "identity": backtest.identity.to_dict(),
        **out,
        "attribution": attribution.to_json(),
    }
    return out, tables
