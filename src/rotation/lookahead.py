"""Look-ahead checker: changing every input not yet known on date t must change nothing up to t.

For a seeded sample of dates t in a config's backtest window, every input that was not public by
the close of t is replaced by other values: closes dated after t, macro observations whose
known close (the publication and release rules of ``data.align``) is after t, and capex
quarters with ``known_from`` after t. ``prepare`` is run again on the perturbed inputs, and
the aligned prices, every signal column, the regime and every target weight on or before t
must be identical, bit for bit (NaN equal to NaN).

Half of the sample is drawn from the strategy's decision dates (a strategy that peeks one day
ahead changes only its rows on decision dates), the rest from every trading day of the window.
When a date fails, each input series is perturbed alone to name the one that leaked.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import cast

import numpy as np
import pandas as pd

from rotation.config import Config, SignalConfig
from rotation.pipeline import Inputs, Stages, load_inputs, prepare
from rotation.signals import publication_rule

PARTS = ("prices", "signals", "regime", "targets")


@dataclass(frozen=True)
class Offence:
    """The first output on or before ``date`` that moved when inputs after ``date`` moved."""

    date: pd.Timestamp  # the cut-off t: inputs after it were perturbed
    part: str  # one of PARTS
    column: str  # the signal column, symbol, or "regime"
    first_changed: pd.Timestamp  # the earliest day <= t whose value changed
    before: object
    after: object
    culprits: tuple[str, ...] = ()  # inputs that move it when perturbed alone (closes:MU, ...)

    def describe(self) -> str:
        where = f"{self.part}[{self.column}]" if self.part != "regime" else "regime"
        blamed = f"; leaks from {', '.join(self.culprits)}" if self.culprits else ""
        cause = f"inputs after {self.date.date()} were perturbed"
        return (
            f"{where} on {self.first_changed.date()} changed from {self.before!r} to "
            f"{self.after!r} when {cause}{blamed}"
        )


@dataclass(frozen=True)
class LookaheadReport:
    name: str
    dates: tuple[pd.Timestamp, ...]  # the cut-offs checked, in order
    offences: tuple[Offence, ...]  # at most one per cut-off (the first part/column that moved)
    reached: int  # cut-offs whose perturbation changed some signal or target after t
    seconds: float

    @property
    def passed(self) -> bool:
        return not self.offences

    def summary(self) -> str:
        status = "PASS" if self.passed else "FAIL"
        line = (
            f"{status} {self.name}: {len(self.dates)} dates, "
            f"{len(self.dates) - len(self.offences)} clean, perturbation reached the future "
            f"on {self.reached}, {self.seconds:.1f} s"
        )
        if self.offences:
            line += f"\n  first offence: {self.offences[0].describe()}"
        return line


def perturb_after(
    inputs: Inputs,
    t: pd.Timestamp,
    rng: np.random.Generator,
    *,
    signal: SignalConfig | None = None,
    only: str | None = None,
) -> Inputs:
    """A copy of ``inputs`` in which every value not yet known at the close of ``t`` is scaled
    by a random factor in [0.2, 5) (signs kept; zeros become +-1 so they move too).

    Known = close dated <= t; macro observation whose known close (``data.align``'s publication
    rule, with ``signal``'s overrides) is <= t; capex quarter with ``known_from`` <= t.
    ``only`` ("closes:MU", "macro:DGS10", "capex") limits the perturbation to one input.
    """

    def garble(series: pd.Series, unknown: np.ndarray) -> pd.Series:
        out = series.copy()
        values = out.to_numpy(dtype="float64", copy=True)
        factor = rng.uniform(0.2, 5.0, int(unknown.sum()))
        picked = values[unknown]
        values[unknown] = np.where(picked == 0, np.sign(factor - 1.0), picked * factor)
        return pd.Series(values, index=out.index, name=out.name)

    def wanted(key: str) -> bool:
        return only is None or only == key

    closes = {
        k: garble(v, np.asarray(v.index > t)) if wanted(f"closes:{k}") else v
        for k, v in inputs.closes.items()
    }
    macro = {}
    for k, v in inputs.macro.items():
        observed = cast(pd.DatetimeIndex, v.index)  # macro series are indexed by date
        known = publication_rule(k, signal).known_dates(observed)
        macro[k] = garble(v, np.asarray(known > t)) if wanted(f"macro:{k}") else v
    capex = inputs.capex
    if len(capex) and wanted("capex"):
        capex = capex.copy()
        late = (capex["known_from"] > t).to_numpy()
        capex.loc[late, "capex_usd"] = capex.loc[late, "capex_usd"] * rng.uniform(
            0.1, 10.0, int(late.sum())
        )
    return dataclasses.replace(inputs, closes=closes, macro=macro, capex=capex)


def _frames(config: Config, inputs: Inputs) -> dict[str, pd.DataFrame]:
    """The outputs compared: ``config``'s prepared stages and targets on ``inputs``."""
    prepared = prepare(config, inputs)
    return {
        "prices": prepared.prices,
        "signals": prepared.signals,
        "regime": prepared.regime.to_frame("regime"),
        "targets": prepared.targets,
    }


def _same(a: pd.Series, b: pd.Series) -> np.ndarray:
    """Element-wise identity, NaN/None equal to NaN/None."""
    missing = a.isna().to_numpy() & b.isna().to_numpy()
    equal = (a.to_numpy() == b.to_numpy()) if a.dtype == b.dtype else np.zeros(len(a), bool)
    same: np.ndarray = missing | equal.astype(bool)
    return same


def first_difference(
    original: Mapping[str, pd.DataFrame], changed: Mapping[str, pd.DataFrame], t: pd.Timestamp
) -> tuple[str, str, pd.Timestamp, object, object] | None:
    """(part, column, first date, before, after) of the earliest change on or before ``t``."""
    found = None
    for part in PARTS:
        a, b = original[part].loc[:t], changed[part].loc[:t]
        if not a.index.equals(b.index) or list(a.columns) != list(b.columns):
            return part, "(shape)", t, a.shape, b.shape
        for column in a.columns:
            differs = ~_same(a[column], b[column])
            if differs.any():
                i = int(np.argmax(differs))
                hit = (part, str(column), a.index[i], a[column].iloc[i], b[column].iloc[i])
                if found is None or hit[2] < found[2]:
                    found = hit
        if found is not None:
            return found
    return None


def _reached(
    original: Mapping[str, pd.DataFrame], changed: Mapping[str, pd.DataFrame], t: pd.Timestamp
) -> bool:
    """The perturbation moved some signal after t (guards against a check that tests nothing)."""
    after = t + pd.Timedelta(days=1)
    return not original["signals"].loc[after:].equals(changed["signals"].loc[after:])


def sample_dates(
    config: Config, inputs: Inputs, targets: pd.DataFrame, samples: int, seed: int
) -> tuple[pd.Timestamp, ...]:
    """``samples`` cut-offs in the backtest window (before its last 5 days), seeded.

    About half are decision dates (rows of ``targets`` that are set), the rest any trading day.
    """
    window = Stages(inputs).window(config)
    days = targets.index[(targets.index > window.start) & (targets.index <= window.end)][:-5]
    decisions = days[targets.loc[days].notna().any(axis=1).to_numpy()]
    rng = np.random.default_rng(seed)
    n_decisions = min(len(decisions), (samples + 1) // 2)
    picked = set(rng.choice(decisions, n_decisions, replace=False)) if n_decisions else set()
    others = days.difference(pd.DatetimeIndex(list(picked)))
    n_others = min(len(others), samples - len(picked))
    picked |= set(rng.choice(others, n_others, replace=False)) if n_others else set()
    return tuple(sorted(pd.Timestamp(d) for d in picked))


def check_lookahead(
    config: Config,
    inputs: Inputs | None = None,
    *,
    samples: int = 8,
    seed: int = 0,
    dates: tuple[pd.Timestamp, ...] | None = None,
    blame: bool = True,
) -> LookaheadReport:
    """Check ``config`` for look-ahead on a seeded sample of cut-off dates (module docstring).

    ``dates`` replaces the sample; ``blame`` perturbs inputs one at a time on the first failing
    date to name the leaking input (costs one run per input).
    """
    started = time.perf_counter()
    inputs = inputs or load_inputs(config)
    original = _frames(config, inputs)
    cutoffs = dates or sample_dates(config, inputs, original["targets"], samples, seed)
    offences: list[Offence] = []
    reached = 0
    for k, t in enumerate(cutoffs):
        t = pd.Timestamp(t)
        rng = np.random.default_rng([seed, k])
        perturbed = perturb_after(inputs, t, rng, signal=config.signal)
        changed = _frames(config, perturbed)
        reached += _reached(original, changed, t)
        hit = first_difference(original, changed, t)
        if hit is None:
            continue
        culprits: tuple[str, ...] = ()
        if blame and not offences:
            culprits = _blame(config, inputs, original, t, seed)
        offences.append(Offence(t, *hit, culprits=culprits))
    return LookaheadReport(
        name=config.name,
        dates=tuple(pd.Timestamp(t) for t in cutoffs),
        offences=tuple(offences),
        reached=reached,
        seconds=time.perf_counter() - started,
    )


def _blame(
    config: Config,
    inputs: Inputs,
    original: Mapping[str, pd.DataFrame],
    t: pd.Timestamp,
    seed: int,
) -> tuple[str, ...]:
    keys = [f"closes:{k}" for k in inputs.closes] + [f"macro:{k}" for k in inputs.macro]
    keys += ["capex"] if len(inputs.capex) else []
    guilty = []
    for key in keys:
        perturbed = perturb_after(
            inputs,
            t,
            np.random.default_rng(seed),
            signal=config.signal,
            only=key,
        )
        if first_difference(original, _frames(config, perturbed), t):
            guilty.append(key)
    return tuple(guilty)
