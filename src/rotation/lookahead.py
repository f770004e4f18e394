"""Look-ahead checker: what is not yet known on date t must not move anything up to t.

Three layers, at each cut-off t (see ``coverage`` for which):

1. **Truncation** (the ground truth). The inputs are cut at t: closes dated after t, macro
   observations whose publication and release rules (``data.align``) make them known after t, and
   capex quarters with ``known_from`` after t do not exist (``truncate``). *Pipeline reruns*
   run every stage on the cut inputs and compare prices, signals, regime, decision dates and
   targets on every day up to t with the full run, bit for bit (NaN equal to NaN). The cut
   run's window is the full run's window clipped at t: same start, end t (the default end,
   the earliest last close, is not defined when an asset has no close by t, and moves when
   one has none on t). *Strategy reruns* give the strategy the full run's batch cut at t: the
   aligned prices on calendar days up to t, the decision rows up to t.
2. **Adversarial futures.** The future is replaced by one that flips what a peeking strategy
   would see (``FUTURES``, strategy reruns): random scaling, mirrored or time-reversed
   returns, whole-period growth inverted, return paths swapped between assets and between
   sleeves, booms and crashes, the regime after t forced to scarce or abundant. In pipeline
   reruns the macro series and filings after t are pushed so that the composite goes
   strongly scarce, then abundant (``MACRO_FUTURES``). Nothing up to t may move.
3. **Sandbox** (``rotation.sandbox``). Strategy code runs with no file, network or
   subprocess access: such a call fails the check and names the line.

A static scan of the strategy file (``rotation.leakscan``) adds warnings that do not fail.

Strategy reruns decide on the ``ROWS_AROUND`` decision rows each side of the cut (not every
row since the start, which would make checking every decision date quadratic) and are
compared with a reference run on the same rows and the true future, so a strategy whose
decisions depend on earlier rows (drift bands) decides alike in both. Pipeline reruns decide
on every row up to t and are compared with the full run itself; they cut at fixed days
(``PIPELINE_QUANTILES``), so configs that share a signal block share their signal and regime
reruns (``SharedStages``).
"""

from __future__ import annotations

import collections
import contextlib
import dataclasses
import hashlib
import textwrap
import time
import warnings
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar, cast

import numpy as np
import pandas as pd

from rotation.config import Config, SignalConfig
from rotation.leakscan import Finding, scan
from rotation.pipeline import Inputs, Prepared, Stages, Window, load_inputs, strategy_targets
from rotation.regime import STATES
from rotation.sandbox import SandboxViolation, Violation, sandboxed
from rotation.signals import publication_rule
from rotation.strategy import Batch, Strategy, strategy_path

T = TypeVar("T")

PARTS = ("prices", "signals", "regime", "decisions", "targets")
LAST_SHARE = 0.1
"""Every decision date in this last share of the window's trading days is a cut-off."""
PIPELINE_QUANTILES = (1 / 3, 2 / 3, 1 - LAST_SHARE)
"""Pipeline reruns cut at the window's trading days at these fractions (and at the first and
last decision date): fixed days, so configs with one window and signal share their reruns."""
ROWS_AROUND = 4
"""Decision rows before (and after) the cut that a strategy rerun decides on."""
BOOM = 1000.0
SHOWN_OFFENCES = 5
FUTURES = (
    "scale", "mirror", "reverse", "invert", "swap_assets", "swap_sleeves",
    "boom", "crash", "boom_even", "boom_odd", "regime_scarce", "regime_abundant",
)  # fmt: skip
"""Adversarial futures of strategy reruns (``adversarial_prices`` and ``_regime_future``)."""
MACRO_FUTURES = ("macro_scarce", "macro_abundant")
"""Adversarial futures of pipeline reruns: the macro series and capex filings pushed so the
composite goes strongly scarce / abundant (``push_macro``)."""
EXTRA_FUTURES_PER_DATE = 1
"""With ``every``, cut-offs outside the default coverage get truncation and this many futures,
taken in turn from ``FUTURES`` (each future runs on every twelfth such date)."""


# --- what is known at t -----------------------------------------------------------------------


def known_dates(inputs: Inputs, signal: SignalConfig | None = None) -> dict[str, pd.DatetimeIndex]:
    """The close from which each macro observation is known: the publication and release rules
    of ``data.align`` (``signals.publication_rule``, with ``signal``'s overrides). The one place
    the checker reads those rules; computed once per check, compared with each cut-off."""
    return {
        k: publication_rule(k, signal).known_dates(cast(pd.DatetimeIndex, v.index))
        for k, v in inputs.macro.items()
    }


def unknown_after(
    inputs: Inputs,
    t: pd.Timestamp,
    signal: SignalConfig | None = None,
    *,
    known: Mapping[str, pd.DatetimeIndex] | None = None,
) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray], np.ndarray, np.ndarray]:
    """Masks of the inputs not known at the close of ``t``: closes dated after t; macro
    observations whose known close (``known_dates``; pass ``known`` when you have it) is after
    t; capex quarters and funding items with ``known_from`` after t."""
    known = known if known is not None else known_dates(inputs, signal)
    closes = {k: np.asarray(v.index > t) for k, v in inputs.closes.items()}
    macro = {k: np.asarray(known[k] > t) for k in inputs.macro}
    return closes, macro, _late(inputs.capex, t), _late(inputs.funding, t)


def _late(table: pd.DataFrame, t: pd.Timestamp) -> np.ndarray:
    """Rows of a filings table (capex quarters, funding items) known only after ``t``."""
    return (table["known_from"] > t).to_numpy() if len(table) else np.zeros(0, bool)


def truncate(
    inputs: Inputs,
    t: pd.Timestamp,
    signal: SignalConfig | None = None,
    *,
    known: Mapping[str, pd.DatetimeIndex] | None = None,
) -> Inputs:
    """``inputs`` as the data source held them at the close of ``t``: what was not known then
    (``unknown_after``) does not exist. The risk-free series is cut at t by date."""
    closes, macro, capex, funding = unknown_after(inputs, t, signal, known=known)
    risk_free = inputs.risk_free
    if risk_free is not None:
        risk_free = risk_free[risk_free.index <= t]
    return dataclasses.replace(
        inputs,
        closes={k: v[~closes[k]] for k, v in inputs.closes.items()},
        macro={k: v[~macro[k]] for k, v in inputs.macro.items()},
        capex=inputs.capex[~capex] if len(inputs.capex) else inputs.capex,
        funding=inputs.funding[~funding] if len(inputs.funding) else inputs.funding,
        risk_free=risk_free,
    )


def push_macro(
    inputs: Inputs,
    t: pd.Timestamp,
    signs: Mapping[str, float],
    *,
    signal: SignalConfig | None = None,
    known: Mapping[str, pd.DatetimeIndex] | None = None,
) -> Inputs:
    """Every macro value not known at ``t`` (``unknown_after``) moved by ``signs[series]`` x 4
    standard deviations of the series, capex quarters known after t multiplied by
    ``10 ** signs["capex"]``, and funding items known after t pushed by ``signs["funding"]``:
    operating cash flow divided and debt issued multiplied by ``10 ** signs["funding"]``. With
    ``signs`` from ``macro_signs`` (+ scarce, - abundant) the composite after t goes to an
    extreme of the regime thresholds."""
    _, late, late_capex, late_funding = unknown_after(inputs, t, signal, known=known)
    macro = {}
    for k, v in inputs.macro.items():
        values = v.to_numpy(dtype="float64", copy=True)
        values[late[k]] += signs.get(k, 0.0) * 4.0 * float(np.nanstd(values))
        macro[k] = pd.Series(values, index=v.index, name=v.name)
    capex = inputs.capex
    if len(capex) and signs.get("capex", 0.0):
        capex = capex.copy()
        capex.loc[late_capex, "capex_usd"] *= 10.0 ** signs["capex"]
    funding = inputs.funding
    if len(funding) and signs.get("funding", 0.0):
        funding = funding.copy()
        scale = 10.0 ** signs["funding"]
        ocf = late_funding & (funding["item"] == "operating_cash_flow").to_numpy()
        issued = late_funding & (funding["item"] == "debt_issued").to_numpy()
        funding.loc[ocf, "value_usd"] /= scale
        funding.loc[issued, "value_usd"] *= scale
    return dataclasses.replace(inputs, macro=macro, capex=capex, funding=funding)


def macro_signs(config: Config, inputs: Inputs, t: pd.Timestamp) -> dict[str, float]:
    """+1 for a macro series (or ``capex``) that raises the composite (scarcer) when its values
    after ``t`` rise, -1 for one that lowers it, 0 for one that does not move it: one signal
    run per input, so the pushes need no table of directions."""
    base = Stages(inputs).signals(config)["composite"]
    known = known_dates(inputs, config.signal)
    after = np.asarray(base.index > t)
    signs = {}
    filings = [k for k in ("capex", "funding") if len(getattr(inputs, k))]
    for k in [*inputs.macro, *filings]:
        pushed = push_macro(inputs, t, {k: 1.0}, signal=config.signal, known=known)
        moved = Stages(pushed).signals(config)["composite"].to_numpy() - base.to_numpy()
        change = float(np.nanmean(moved[after])) if np.isfinite(moved[after]).any() else 0.0
        signs[k] = float(np.sign(change))
    return signs


# --- adversarial futures of the strategy's batch ----------------------------------------------


def _future_growth(values: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """(anchor (N,), growth (T-k-1, N)) of each column after row ``k``: the last price at or
    before k (the first after it for an asset listed later) and the future relative to it."""
    anchor = np.full(values.shape[1], np.nan)
    for j in range(values.shape[1]):
        known = np.flatnonzero(np.isfinite(values[: k + 1, j]))
        later = np.flatnonzero(np.isfinite(values[k + 1 :, j]))
        if len(known):
            anchor[j] = values[known[-1], j]
        elif len(later):
            anchor[j] = values[k + 1 + later[0], j]
    with np.errstate(divide="ignore", invalid="ignore"):
        growth = values[k + 1 :] / anchor
    return anchor, growth


def _reversed_path(growth: np.ndarray) -> np.ndarray:
    """Each column's future daily moves in reverse order (NaN days kept in place)."""
    out = growth.copy()
    for j in range(growth.shape[1]):
        days = np.flatnonzero(np.isfinite(growth[:, j]) & (growth[:, j] > 0))
        if len(days) < 2:
            continue
        steps = np.diff(np.log(growth[days, j]), prepend=0.0)
        out[days, j] = np.exp(np.cumsum(steps[::-1]))
    return out


def _donors(
    universe: Mapping[str, Sequence[str]], columns: Sequence[str], sleeves: bool
) -> list[int]:
    """For each column, the column whose future it takes: the next asset (``sleeves`` False),
    or the same-position asset of the next sleeve."""
    position = {s: j for j, s in enumerate(columns)}
    if not sleeves or len(universe) < 2:
        return [(j + 1) % len(columns) for j in range(len(columns))]
    donors = list(range(len(columns)))
    groups = [list(members) for members in universe.values()]
    for g, members in enumerate(groups):
        nxt = groups[(g + 1) % len(groups)]
        for i, symbol in enumerate(members):
            donors[position[symbol]] = position[nxt[i % len(nxt)]]
    return donors


def adversarial_prices(
    kind: str,
    prices: pd.DataFrame,
    k: int,
    universe: Mapping[str, Sequence[str]],
    rng: np.random.Generator,
) -> pd.DataFrame:
    """``prices`` (dates x symbols, aligned) with every row after position ``k`` replaced by the
    future ``kind`` (one of the price kinds of ``FUTURES``); rows up to k are the same objects'
    values, untouched."""
    values = prices.to_numpy(dtype="float64", copy=True)
    anchor, growth = _future_growth(values, k)
    if kind == "scale":
        future = values[k + 1 :] * rng.uniform(0.2, 5.0, growth.shape)
    elif kind == "mirror":  # every future move negated: winners after t become losers
        future = anchor / growth
    elif kind == "reverse":
        future = anchor * _reversed_path(growth)
    elif kind == "invert":  # whole-period growth G becomes 1/G: the best asset becomes the worst
        finite = np.isfinite(values)
        first = np.array(
            [values[np.argmax(f), j] if f.any() else np.nan for j, f in enumerate(finite.T)]
        )
        last = np.array(
            [
                values[len(f) - 1 - np.argmax(f[::-1]), j] if f.any() else np.nan
                for j, f in enumerate(finite.T)
            ]
        )
        with np.errstate(divide="ignore", invalid="ignore"):
            whole = last / first
        future = values[k + 1 :] / np.where(np.isfinite(whole) & (whole > 0), whole, 1.0) ** 2
    elif kind in ("swap_assets", "swap_sleeves"):
        donors = _donors(universe, list(prices.columns), kind == "swap_sleeves")
        taken = growth[:, donors]
        own = values[k + 1 :]  # days without a close of their own stay without one
        future = np.where(np.isfinite(taken) & np.isfinite(own), anchor * taken, own)
    else:
        n = values.shape[1]
        factor = {
            "boom": np.full(n, BOOM),
            "crash": np.full(n, 1 / BOOM),
            "boom_even": np.where(np.arange(n) % 2 == 0, BOOM, 1 / BOOM),
            "boom_odd": np.where(np.arange(n) % 2 == 1, BOOM, 1 / BOOM),
        }[kind]
        future = values[k + 1 :] * factor
    values[k + 1 :] = future
    return pd.DataFrame(values, index=prices.index, columns=prices.columns)


def _regime_future(kind: str, batch: Batch, after: np.ndarray) -> Batch:
    """``batch`` with the regime of its rows after the cut (``after``: (R,)) forced to scarce
    (composite +5) or abundant (-5)."""
    state, score = ("scarce", 5.0) if kind == "regime_scarce" else ("abundant", -5.0)
    regime, composite = batch.regime.copy(), batch.composite.copy()
    regime[:, after] = STATES.index(state)
    composite[:, after] = score
    return dataclasses.replace(batch, regime=regime, composite=composite)


# --- which cut-offs ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Coverage:
    """The cut-offs checked. ``dates``: every cut-off (strategy reruns); ``last_share``: the
    decision dates in the window's last ``LAST_SHARE``; ``first``/``last``: the first and last
    decision date; ``stratified``: one seeded decision date from each of ``samples`` equal
    strata of the rest; ``pipeline``: the cut-offs with pipeline reruns (first, last, the
    stratified ones, and the first and last of ``last_share``); ``every``: all decision dates
    are cut-offs; ``full``: the cut-offs that get every future (all but the extra ones of
    ``every``)."""

    dates: tuple[pd.Timestamp, ...]
    last_share: tuple[pd.Timestamp, ...]
    first: pd.Timestamp
    last: pd.Timestamp
    stratified: tuple[pd.Timestamp, ...]
    pipeline: tuple[pd.Timestamp, ...]
    full: frozenset[pd.Timestamp]
    every: bool

    def describe(self) -> str:
        head = (
            f"every decision date ({len(self.dates)})"
            if self.every
            else f"{len(self.dates)} decision dates"
        )
        return (
            f"{head}: {len(self.last_share)} in the last {LAST_SHARE:.0%} of the window "
            f"(from {_day(self.last_share[0]) if self.last_share else '-'}), first "
            f"{_day(self.first)}, last {_day(self.last)}, {len(self.stratified)} stratified; "
            f"pipeline reruns at {len(self.pipeline)}"
        )


def _day(t: pd.Timestamp) -> str:
    return str(pd.Timestamp(t).date())


def coverage(
    decisions: pd.DatetimeIndex,
    window_days: pd.DatetimeIndex,
    *,
    samples: int,
    seed: int,
    every: bool = False,
) -> Coverage:
    """The cut-offs among ``decisions`` (the full run's decision dates, in the window whose
    trading days are ``window_days``): see ``Coverage``."""
    if not len(decisions):
        raise ValueError("no decision dates in the backtest window: nothing to check")
    tail_from = window_days[min(len(window_days) - 1, int(len(window_days) * (1 - LAST_SHARE)))]
    last_share = decisions[decisions >= tail_from]
    first, last = decisions[0], decisions[-1]
    rest = decisions[(decisions > first) & (decisions < tail_from)]
    rng = np.random.default_rng(seed)
    stratified = [
        stratum[int(rng.integers(len(stratum)))]
        for stratum in np.array_split(np.asarray(rest), max(1, min(samples, len(rest))))
        if len(stratum)
    ]
    chosen = {first, last, *last_share, *(pd.Timestamp(d) for d in stratified)}
    at = [int(q * (len(window_days) - 1)) for q in PIPELINE_QUANTILES]
    pipeline = {first, last, *(window_days[i] for i in at)}
    dates = set(decisions) if every else chosen
    return Coverage(
        dates=tuple(sorted(pd.Timestamp(d) for d in dates)),
        last_share=tuple(pd.Timestamp(d) for d in last_share),
        first=pd.Timestamp(first),
        last=pd.Timestamp(last),
        stratified=tuple(sorted(pd.Timestamp(d) for d in stratified)),
        pipeline=tuple(sorted(pd.Timestamp(d) for d in pipeline)),
        full=frozenset(pd.Timestamp(d) for d in chosen),
        every=every,
    )


# --- comparing --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Offence:
    """The first output on or before the cut-off ``date`` that moved under ``future``."""

    date: pd.Timestamp  # the cut-off t
    future: str  # "truncation", a kind of FUTURES / MACRO_FUTURES, or "error"
    part: str  # one of PARTS
    column: str  # the signal column, symbol, or "regime"
    first_changed: pd.Timestamp  # the earliest day <= t whose value changed
    before: object
    after: object
    rerun: str = "strategy"  # "strategy" or "pipeline"

    def describe(self) -> str:
        where = f"{self.part}[{self.column}]" if self.part not in ("regime",) else "regime"
        if self.future == "error":
            return f"the {self.rerun} rerun cut at {_day(self.date)} failed: {self.after}"
        if self.future == "truncation":
            cause = f"the data was cut at {_day(self.date)}"
        else:
            cause = f"the future after {_day(self.date)} was replaced ({self.future})"
        return (
            f"{where} on {_day(self.first_changed)} changed from {_plain(self.before)} to "
            f"{_plain(self.after)} when {cause}; {self.rerun} rerun"
        )


def _plain(value: object) -> str:
    """A value as a reader wants it: 0.25, not np.float64(0.25)."""
    return repr(value.item()) if isinstance(value, np.generic) else repr(value)


def _same(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Element-wise identity, NaN/None equal to NaN/None."""
    missing = pd.isna(a) & pd.isna(b)
    equal = (a == b) if a.dtype == b.dtype else np.zeros(a.shape, bool)
    same: np.ndarray = missing | np.asarray(equal, dtype=bool)
    return same


def first_difference(
    original: Mapping[str, pd.DataFrame], changed: Mapping[str, pd.DataFrame], t: pd.Timestamp
) -> tuple[str, str, pd.Timestamp, object, object] | None:
    """(part, column, first date, before, after) of the earliest change on or before ``t``,
    over the parts both mappings hold, in ``PARTS`` order."""
    for part in [p for p in PARTS if p in original and p in changed]:
        a, b = original[part].loc[:t], changed[part].loc[:t]
        if not a.index.equals(b.index) or list(a.columns) != list(b.columns):
            return part, "(shape)", t, a.shape, b.shape
        found = None
        for column in a.columns:
            differs = ~_same(a[column].to_numpy(), b[column].to_numpy())
            if differs.any():
                i = int(np.argmax(differs))
                hit = (part, str(column), a.index[i], a[column].iloc[i], b[column].iloc[i])
                if found is None or hit[2] < found[2]:
                    found = hit
        if found is not None:
            return found
    return None


def _frames(prepared: Prepared, *, targets: bool = True) -> dict[str, pd.DataFrame]:
    """The outputs compared in pipeline reruns (targets computed only when asked)."""
    decisions = pd.DataFrame(
        {"decision": prepared.calendar.isin(prepared.decisions)}, index=prepared.calendar
    )
    frames = {
        "prices": prepared.prices,
        "signals": prepared.signals,
        "regime": prepared.regime.to_frame("regime"),
        "decisions": decisions,
    }
    if targets:
        frames["targets"] = prepared.targets
    return frames


# --- the check --------------------------------------------------------------------------------


@dataclass(frozen=True)
class LookaheadReport:
    name: str
    coverage: Coverage
    offences: tuple[Offence, ...]  # at most one per (cut-off, future, rerun)
    violations: tuple[Violation, ...]  # forbidden calls of strategy code (sandbox)
    warnings: tuple[Finding, ...]  # the static scan of the strategy file
    futures: tuple[str, ...]  # the futures of strategy reruns that ran
    macro_futures: tuple[str, ...]  # the futures of pipeline reruns that ran
    reruns: int  # strategy and pipeline reruns compared
    regime_pushed: int  # macro pushes that moved the regime after the cut
    macro_pushes: int
    seconds: float

    @property
    def dates(self) -> tuple[pd.Timestamp, ...]:
        return self.coverage.dates

    @property
    def passed(self) -> bool:
        return not self.offences and not self.violations

    def summary(self, *, dates: bool = True) -> str:
        """The verdict line, then what was covered and every offence and warning."""
        status = "PASS" if self.passed else "FAIL"
        lines = [
            f"{status} {self.name}: {len(self.coverage.dates)} cut-offs, {self.reruns} reruns, "
            f"{len(self.offences)} offences, {len(self.violations)} sandbox violations, "
            f"{self.seconds:.1f} s",
            f"  covered: {self.coverage.describe()}"
            if self.coverage.dates
            else "  covered: nothing: the sandbox refused the full run's strategy code",
            "  compared: targets on decision dates up to each cut-off (strategy reruns); "
            "prices, signals, regime, decision dates and targets on every day up to it "
            "(pipeline reruns)",
            f"  futures: truncation, {', '.join(self.futures)} (strategy reruns); truncation, "
            f"{', '.join(self.macro_futures)} (pipeline reruns; macro pushes moved the regime "
            f"after the cut in {self.regime_pushed} of {self.macro_pushes})",
            "  sandbox: strategy code ran with no file, network or subprocess access"
            if not self.violations
            else f"  sandbox: {len(self.violations)} forbidden calls of strategy code refused",
        ]
        if dates:
            listed = ", ".join(_day(t) for t in self.coverage.dates)
            lines.append(
                textwrap.fill(listed, 100, initial_indent="  dates: ", subsequent_indent="    ")
            )
            pipeline = ", ".join(_day(t) for t in self.coverage.pipeline)
            lines.append(f"  pipeline reruns cut at: {pipeline}")
        if self.offences:
            by_future = collections.Counter(o.future for o in self.offences)
            counts = ", ".join(f"{future} {n}" for future, n in by_future.items())
            lines.append(f"  offences by future: {counts}")
        lines += [f"  offence: {o.describe()}" for o in self.offences[:SHOWN_OFFENCES]]
        if len(self.offences) > SHOWN_OFFENCES:
            lines.append(f"  ... and {len(self.offences) - SHOWN_OFFENCES} more offences")
        lines += [f"  sandbox: {v.describe()}" for v in self.violations]
        lines += [f"  warning: {w.describe()}" for w in self.warnings]
        return "\n".join(lines)


@contextlib.contextmanager
def _quiet() -> Iterator[None]:
    """No numpy warnings from reruns: adversarial futures overflow exponentials on purpose."""
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore", RuntimeWarning)
        yield


class SharedStages:
    """Signals and regimes of pipeline reruns, shared by the configs of one check.

    A rerun's signals depend only on the macro and capex inputs, the calendar and the
    ``signal`` section (its regime also on ``regime``), so configs that agree on those (the
    shipped configs mostly do) compute each rerun's signals once. Keys hold a digest of the
    inputs and calendar, never object identities. Pass one to every ``check_lookahead`` of a
    batch of configs.
    """

    def __init__(self) -> None:
        self.values: dict[tuple[str, ...], Any] = {}
        self.hits = 0


def _digest(*arrays: np.ndarray) -> str:
    digest = hashlib.sha256()
    for array in arrays:
        digest.update(np.ascontiguousarray(array).tobytes())
    return digest.hexdigest()


def _macro_digest(inputs: Inputs) -> str:
    """A digest of the macro, capex and funding inputs (what signals read)."""
    parts: list[np.ndarray] = []
    for key in sorted(inputs.macro):
        series = inputs.macro[key]
        index = pd.DatetimeIndex(series.index).as_unit("ns").asi8
        parts += [np.frombuffer(key.encode(), np.uint8), index, series.to_numpy(dtype="float64")]
    for table in (inputs.capex, inputs.funding):
        if len(table):
            parts.append(pd.util.hash_pandas_object(table, index=False).to_numpy())
    return _digest(*parts)


class _RerunStages(Stages):
    """The stages of a pipeline rerun: the pipeline's own, with signals and regime taken from
    ``shared`` when another config computed them for the same inputs, and with ``window`` (the
    full run's window clipped at the cut) when the inputs are cut."""

    def __init__(
        self, inputs: Inputs, shared: SharedStages, tag: str, window: Window | None = None
    ) -> None:
        super().__init__(inputs)
        self._shared, self._window = shared, window
        self._tag = f"{tag}:{_macro_digest(inputs)}:{_digest(self.calendar.asi8)}"

    def _from_shared(self, stage: str, key: str, compute: Callable[[], T]) -> T:
        full_key = (stage, self._tag, key)
        if full_key in self._shared.values:
            self._shared.hits += 1
        else:
            self._shared.values[full_key] = compute()
        value: T = self._shared.values[full_key]
        return value

    def signals(self, config: Config) -> pd.DataFrame:
        key = self.key(config.signal)
        return self._from_shared("signals", key, lambda: super(_RerunStages, self).signals(config))

    def regime(self, config: Config) -> pd.Series:
        key = self.key(config.signal, config.regime)
        return self._from_shared("regime", key, lambda: super(_RerunStages, self).regime(config))

    def window(self, config: Config) -> Window:
        return self._window if self._window is not None else super().window(config)


def check_lookahead(
    config: Config,
    inputs: Inputs | None = None,
    *,
    samples: int = 8,
    seed: int = 0,
    every: bool = False,
    dates: Sequence[pd.Timestamp] | None = None,
    shared: SharedStages | None = None,
) -> LookaheadReport:
    """Check ``config`` for look-ahead (module docstring) on the cut-offs of ``coverage``
    (``every``: all decision dates; ``dates``: these cut-offs instead, each with every future
    and a pipeline rerun). ``shared``: reruns shared with other configs (``SharedStages``)."""
    started = time.perf_counter()
    inputs = inputs or load_inputs(config)
    stages = Stages(inputs)
    full = stages.prepare(config)
    window_days = full.calendar[full.in_window]
    cover = coverage(full.decisions, window_days, samples=samples, seed=seed, every=every)
    if dates is not None:
        picked = tuple(sorted(pd.Timestamp(d) for d in dates))
        cover = dataclasses.replace(cover, dates=picked, pipeline=picked, full=frozenset(picked))
    folder = config.resolve_path(config.strategies_dir)
    offences: list[Offence] = []
    reruns = 0
    pipeline = _PipelineReruns(config, inputs, full, shared or SharedStages())
    with sandboxed([folder]) as violations, _quiet():
        try:
            pipeline.original = _frames(full)
        except SandboxViolation:  # the full run itself was refused: nothing to compare with
            cover = dataclasses.replace(cover, dates=(), pipeline=(), full=frozenset())
        if cover.dates:
            strategy = stages.strategy(config)
            params = [stages.params(config)]
            batch = stages.batch([config])
        extra = 0
        for n, t in enumerate(cover.dates):
            kinds: tuple[str, ...] = FUTURES
            if t not in cover.full:  # an extra date of ``every``: futures in turn
                first = extra * EXTRA_FUTURES_PER_DATE
                kinds = tuple(
                    FUTURES[(first + i) % len(FUTURES)] for i in range(EXTRA_FUTURES_PER_DATE)
                )
                extra += 1
            found, ran = _strategy_reruns(strategy, batch, params, t, kinds, seed=[seed, n])
            offences += found
            reruns += ran
        for t in cover.pipeline:
            offences += pipeline.check(t)
    return LookaheadReport(
        name=config.name,
        coverage=cover,
        offences=tuple(offences),
        violations=tuple(dict.fromkeys(violations)),
        warnings=scan(strategy_path(config.strategy.name, folder)),
        futures=FUTURES,
        macro_futures=MACRO_FUTURES,
        reruns=reruns + pipeline.reruns,
        regime_pushed=pipeline.pushed,
        macro_pushes=pipeline.pushes,
        seconds=time.perf_counter() - started,
    )


class _PipelineReruns:
    """Pipeline reruns of one config: truncation and ``MACRO_FUTURES`` at a cut-off, counted.
    ``original``: the full run's frames, set once they are computed (in the sandbox)."""

    def __init__(
        self, config: Config, inputs: Inputs, full: Prepared, shared: SharedStages
    ) -> None:
        self.config, self.inputs, self.full, self.shared = config, inputs, full, shared
        self.original: Mapping[str, pd.DataFrame] = {}
        self._signs: dict[str, float] | None = None
        self.known = known_dates(inputs, config.signal)
        self.reruns = self.pushed = self.pushes = 0

    def signs(self) -> dict[str, float]:
        """``macro_signs`` at the middle of the window (shared between configs)."""
        if self._signs is None:
            days = self.full.calendar[self.full.in_window]
            probe = days[len(days) // 2]
            key = (
                "signs",
                _macro_digest(self.inputs),
                str(probe),
                self.full.stages.key(self.config.signal),
            )
            if key not in self.shared.values:
                self.shared.values[key] = macro_signs(self.config, self.inputs, probe)
            self._signs = cast(dict[str, float], self.shared.values[key])
        return self._signs

    def check(self, t: pd.Timestamp) -> list[Offence]:
        """Offences of the reruns cut at ``t``."""
        offences = []
        for kind in ("truncation", *MACRO_FUTURES):
            try:
                frames = _frames(self._rerun(kind, t), targets=kind == "truncation")
            except SandboxViolation:
                continue
            except Exception as exc:  # a rerun that fails is reported, never skipped
                why = f"{kind}: {exc!r}"
                offences.append(Offence(t, "error", "targets", "", t, None, why, "pipeline"))
                continue
            self.reruns += 1
            if kind.startswith("macro_"):
                self.pushes += 1
                after = self.original["regime"].index > t
                self.pushed += not self.original["regime"][after].equals(frames["regime"][after])
            hit = first_difference(self.original, frames, t)
            if hit is not None:
                offences.append(Offence(t, kind, *hit, rerun="pipeline"))
        return offences

    def _rerun(self, kind: str, t: pd.Timestamp) -> Prepared:
        tag = f"{kind}:{t.date()}"
        if kind == "truncation":
            cut = truncate(self.inputs, t, self.config.signal, known=self.known)
            window = Window(self.full.window.start, t)
            return _RerunStages(cut, self.shared, tag, window).prepare(self.config)
        sign = 1.0 if kind == "macro_scarce" else -1.0
        signs = {k: sign * s for k, s in self.signs().items()}
        changed = push_macro(self.inputs, t, signs, signal=self.config.signal, known=self.known)
        return _RerunStages(changed, self.shared, tag).prepare(self.config)


def _strategy_reruns(
    strategy: Strategy,
    batch: Batch,
    params: Sequence[Any],
    t: pd.Timestamp,
    kinds: Sequence[str],
    *,
    seed: list[int],
) -> tuple[list[Offence], int]:
    """The strategy on ``batch`` cut at ``t`` and under each future of ``kinds``, on the
    ``ROWS_AROUND`` decision rows each side of t, against a reference run on the same rows;
    the first moved target of each rerun."""
    k = int(batch.prices.index.searchsorted(t, side="right")) - 1  # the last day <= t
    before = int(np.searchsorted(batch.rows, k, side="right"))
    chosen = np.arange(max(0, before - ROWS_AROUND), min(len(batch.rows), before + ROWS_AROUND))
    upto = batch.rows[chosen] <= k
    compared = int(upto.sum())

    def rows(prices: pd.DataFrame, keep: np.ndarray, memo: dict[Any, Any]) -> Batch:
        return dataclasses.replace(
            batch,
            prices=prices,
            rows=batch.rows[keep],
            decide=batch.decide[:, keep],
            regime=batch.regime[:, keep],
            composite=batch.composite[:, keep],
            memo=memo,
        )

    def future(kind: str) -> Batch:
        if kind == "truncation":
            return rows(batch.prices.iloc[: k + 1], chosen[upto], {})
        if kind.startswith("regime_"):
            return _regime_future(kind, rows(batch.prices, chosen, batch.memo), ~upto)
        prices = adversarial_prices(kind, batch.prices, k, batch.universe, rng)
        return rows(prices, chosen, {})

    rng = np.random.default_rng(seed)
    reference = strategy_targets(strategy, rows(batch.prices, chosen, batch.memo), params)
    dates = batch.prices.index[batch.rows[chosen][upto]]
    columns = list(batch.prices.columns)
    offences = []
    for kind in ("truncation", *kinds):
        try:
            got = strategy_targets(strategy, future(kind), params)[:, :compared]
        except SandboxViolation:
            continue
        except Exception as exc:  # a rerun that fails is reported, never skipped
            offences.append(Offence(t, "error", "targets", "", t, None, f"{kind}: {exc!r}"))
            continue
        differs = ~_same(reference[0, :compared], got[0])
        if differs.any():
            r, j = np.argwhere(differs)[0]
            before_value, after_value = reference[0, r, j], got[0, r, j]
            offences.append(
                Offence(t, kind, "targets", columns[j], dates[r], before_value, after_value)
            )
    return offences, 1 + len(kinds)
