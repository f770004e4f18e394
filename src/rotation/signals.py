"""Capital-scarcity signal components: pure functions, aligned series in, scores out.

Inputs are series already sampled on the trading calendar *as known* on each day (see
``rotation.data.align``), so every function here only looks backwards: a score on day t uses
values on days <= t. Scores are unitless and oriented so that **positive = capital scarcer**
(higher cost of capital, wider credit spreads, less idle liquidity, faster capex).

Normalization (``standardize``; the ``**normalize`` keywords of every component):

    expanding    z_t = (x_t - mean(x_1..x_t)) / std(x_1..x_t)
    rolling      the same over the last ``window`` observations
    percentile   rank of x_t among the last ``window`` observations, as the standard-normal
                 quantile of (rank - 1/2) / n, so a score reads like a z-score (0 = median,
                 +1 = 84th percentile) and the regime thresholds keep their meaning

The components (``C`` = ``change_days`` rows, ``s(.)`` = the normalization above):

| component       | formula                                                | data (FRED id)       |
|-----------------|--------------------------------------------------------|----------------------|
| cost_of_capital | mean(s(y), s(y_t - y_{t-C}))                           | DGS10 (nominal, %)   |
|                 | [mean with the same on each optional series]           | term premium, IG yld |
| real_yield      | same on the real yield                                 | DFII10 (TIPS 10y, %) |
| curve           | mean(-s(slope), -s(slope change)): flat, flattening    | T10Y2Y / T10Y3M (pp) |
| credit          | mean(s(spread), s(spread change))                      | BAA10Y (pp)          |
| high_yield      | same on the high-yield option-adjusted spread          | BAMLH0A0HYM2 (pp)    |
| liquidity       | mean(-s(RRP), -s(NL_t / NL_{t-C} - 1)[, -s(RRP chg)])  | RRPONTSYD, WALCL,    |
|                 | NL = WALCL - WTREGEN - RRPONTSYD, USD bn (units fixed) | WTREGEN              |
| capex           | mean(s(g)[, s(g_t - g_{t-C})]), g = capex YoY growth   | SEC XBRL, PNFI       |
| conditions      | mean(s(NFCI), s(NFCI change)): tight, tightening       | NFCI (index)         |
| funding         | mean(s(capex coverage)[, s(net external funding)])     | SEC XBRL, releases   |

``cost_of_capital``'s optional series (``term_premium_series``, e.g. THREEFYTP10, the Kim-Wright
10-year term premium; ``corporate_yield_series``, e.g. BAMLC0A0CMEY, the ICE BofA US Corporate
effective yield) are scored like the yield; the component is the mean of the series' scores.

``funding`` (``rotation.data.funding``): the hyperscalers' trailing-4-quarter capex over their
operating cash flow, and their net external funding (debt issued - repaid + drawdown of cash and
marketable securities) as a share of capex; the second joins where the data has it (live SEC).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from statistics import NormalDist
from typing import TYPE_CHECKING, TypedDict, Unpack

import numpy as np
import pandas as pd

from rotation._types import Scores

if TYPE_CHECKING:
    from pandas.core.window.expanding import Expanding
    from pandas.core.window.rolling import Rolling

    from rotation.config import SignalConfig
    from rotation.data.align import Publication

NORMALIZATIONS = ("expanding", "rolling", "percentile")


class Normalization(TypedDict, total=False):
    """The ``**normalize`` keywords of ``standardize`` and of every component."""

    method: str
    window: int
    min_periods: int


class _Changing(Normalization):
    change_days: int


def zscore(
    series: pd.Series, *, method: str = "expanding", window: int = 756, min_periods: int = 252
) -> pd.Series:
    """Point-in-time z-score: (x_t - mean) / std over past values up to and including t.

    ``method="expanding"`` uses all history to date, ``"rolling"`` the last ``window``
    observations. NaN until ``min_periods`` observations exist or where std is 0.
    """
    values = series.dropna()
    stats: Expanding[pd.Series] | Rolling[pd.Series]
    if method == "expanding":
        stats = values.expanding(min_periods=min_periods)
    elif method == "rolling":
        stats = values.rolling(window, min_periods=min(min_periods, window))
    else:
        raise ValueError(f"unknown normalization {method!r}")
    std = stats.std().replace(0.0, np.nan)
    z = (values - stats.mean()) / std
    return z.reindex(series.index)


_normal_quantile = np.frompyfunc(NormalDist().inv_cdf, 1, 1)


def percentile_score(series: pd.Series, *, window: int = 756, min_periods: int = 252) -> pd.Series:
    """Rolling percentile as a normal quantile: Phi^-1((rank_t - 1/2) / n).

    rank_t is the rank of x_t (ties averaged) among the last ``window`` observations up to and
    including t and n their count; NaN until ``min_periods`` observations exist. Robust to
    outliers and to the fat tails of spreads, unlike the z-score.
    """
    values = series.dropna()
    rolling = values.rolling(window, min_periods=min(min_periods, window))
    count = rolling.count()
    pct = rolling.rank(method="average", pct=True)  # rank / n
    p = (pct * count - 0.5) / count
    known = p.notna().to_numpy()
    out = np.full(len(p), np.nan)
    out[known] = _normal_quantile(p.to_numpy()[known]).astype("float64")
    return pd.Series(out, index=values.index).reindex(series.index)


def standardize(
    series: pd.Series, *, method: str = "expanding", window: int = 756, min_periods: int = 252
) -> pd.Series:
    """The configured normalization (``NORMALIZATIONS``; see the module docstring)."""
    if method == "percentile":
        return percentile_score(series, window=window, min_periods=min_periods)
    return zscore(series, method=method, window=window, min_periods=min_periods)


def change(series: pd.Series, periods: int) -> pd.Series:
    """Difference over ``periods`` calendar rows: x_t - x_{t-periods} (level change)."""
    return series - series.shift(periods)


def pct_change(series: pd.Series, periods: int) -> pd.Series:
    """Relative change over ``periods`` rows: x_t / x_{t-periods} - 1 (no fill)."""
    return series / series.shift(periods) - 1.0


def net_liquidity(
    fed_assets_musd: pd.Series, treasury_account_musd: pd.Series, reverse_repo_busd: pd.Series
) -> pd.Series:
    """Net liquidity in USD billions: WALCL - WTREGEN - RRPONTSYD.

    WALCL and WTREGEN are reported in USD millions, RRPONTSYD in USD billions.
    """
    return fed_assets_musd / 1_000.0 - treasury_account_musd / 1_000.0 - reverse_repo_busd


def _mean_available(parts: list[pd.Series]) -> pd.Series:
    return pd.concat(parts, axis=1).mean(axis=1, skipna=True)


def level_and_change_score(
    series: pd.Series, *, change_days: int, sign: float = 1.0, **normalize: Unpack[Normalization]
) -> pd.Series:
    """mean(sign * s(x_t), sign * s(x_t - x_{t-change_days})): high and rising (sign=+1)."""
    return _mean_available(
        [
            sign * standardize(series, **normalize),
            sign * standardize(change(series, change_days), **normalize),
        ]
    )


def cost_of_capital_score(
    yield_pct: pd.Series, *, change_days: int, **normalize: Unpack[Normalization]
) -> pd.Series:
    """Mean of s(yield level) and s(yield change over ``change_days``): rising and high yields.

    Nominal (DGS10) for ``cost_of_capital``, real (DFII10) for ``real_yield``.
    """
    return level_and_change_score(yield_pct, change_days=change_days, **normalize)


def curve_score(
    slope_pp: pd.Series, *, change_days: int, **normalize: Unpack[Normalization]
) -> pd.Series:
    """Mean of -s(slope) and -s(slope change): a flat or inverted, flattening curve.

    A 10y-minus-2y (or 3m) slope that is low means short-term money costs as much as long-term
    money: policy is tight and capital scarce.
    """
    return level_and_change_score(slope_pp, change_days=change_days, sign=-1.0, **normalize)


def credit_score(
    spread_pct: pd.Series, *, change_days: int, **normalize: Unpack[Normalization]
) -> pd.Series:
    """Mean of s(spread level) and s(spread change): wide and widening corporate spreads.

    Investment grade (BAA10Y) for ``credit``, high yield (BAMLH0A0HYM2) for ``high_yield``.
    """
    return level_and_change_score(spread_pct, change_days=change_days, **normalize)


def liquidity_score(
    reverse_repo_busd: pd.Series,
    net_liquidity_busd: pd.Series | None,
    *,
    change_days: int,
    drain: bool = False,
    **normalize: Unpack[Normalization],
) -> pd.Series:
    """Idle capital draining: mean of -s(reverse-repo level) and -s(net liquidity % change).

    A low reverse-repo cushion and falling net liquidity both mean less spare capital. With
    ``net_liquidity_busd=None`` only the reverse-repo level is used; with ``drain`` the
    reverse-repo change over ``change_days`` (negative while the cushion drains) joins as
    -s(RRP_t - RRP_{t-change_days}).
    """
    parts = [-standardize(reverse_repo_busd, **normalize)]
    if net_liquidity_busd is not None:
        parts.append(-standardize(pct_change(net_liquidity_busd, change_days), **normalize))
    if drain:
        parts.append(-standardize(change(reverse_repo_busd, change_days), **normalize))
    return _mean_available(parts)


def capex_score(
    capex_growth_yoy: pd.Series,
    *,
    acceleration_days: int | None = None,
    **normalize: Unpack[Normalization],
) -> pd.Series:
    """s(capex growth YoY): hyperscaler capex growing fast.

    With ``acceleration_days``, the mean of that and s(g_t - g_{t-acceleration_days}): growing
    fast *and* faster.
    """
    if acceleration_days is None:
        return standardize(capex_growth_yoy, **normalize)
    return level_and_change_score(capex_growth_yoy, change_days=acceleration_days, **normalize)


def conditions_score(
    nfci: pd.Series, *, change_days: int, **normalize: Unpack[Normalization]
) -> pd.Series:
    """Mean of s(NFCI) and s(NFCI change): financial conditions tight and tightening.

    The Chicago Fed index is positive when conditions are tighter than average; a broad
    cross-check of the thesis components (give it weight 0 to see it without using it).
    """
    return level_and_change_score(nfci, change_days=change_days, **normalize)


def funding_score(
    coverage: pd.Series, external_share: pd.Series, **normalize: Unpack[Normalization]
) -> pd.Series:
    """Mean of s(capex coverage) and s(net external funding share), the second only where it
    was ever known: capex eating more of the operating cash flow, and more of it financed from
    outside (new debt, run-down savings), both mean capital scarcer."""
    parts = [standardize(coverage, **normalize)]
    if external_share.notna().any():
        parts.append(standardize(external_share, **normalize))
    return _mean_available(parts)


def composite(scores: Scores, weights: Mapping[str, float], *, min_components: int) -> pd.Series:
    """Weighted mean of the components known on each day, weights renormalized per day.

    NaN on days with fewer than ``min_components`` known components (with positive weight).
    """
    used = [c for c, w in weights.items() if w > 0 and c in scores]
    frame = scores[used]
    w = pd.Series({c: weights[c] for c in used}, dtype="float64")
    known = frame.notna()
    weighted = frame.fillna(0.0).mul(w, axis=1).sum(axis=1)
    total_weight = known.mul(w, axis=1).sum(axis=1)
    out = weighted / total_weight.replace(0.0, np.nan)
    return out.where(known.sum(axis=1) >= min_components).rename("composite")


# --- the components, as one registry --------------------------------------------------------

CAPEX_INPUT = "capex_growth_yoy"
"""The name of the capex input: hyperscaler filings (``data.capex``) with PNFI before them."""
FUNDING_INPUT = "hyperscaler_funding"
"""The name of the funding input: hyperscaler cash flows (``data.funding``), no fallback."""


def publication_rule(series_id: str, signal: SignalConfig | None) -> Publication:
    """``rotation.data.align.publication`` with the overrides of a signal config (if any)."""
    from rotation.data.align import publication

    if signal is None:
        return publication(series_id)
    return publication(series_id, signal.publication_lags, signal.release_times)


class Known:
    """The inputs of one signal config, each as known on each day of a calendar.

    ``macro``: FRED id -> series by observation date; ``capex``: hyperscaler capex quarters
    with ``known_from`` dates (empty = PNFI only); ``funding``: their funding items
    (``data.funding``; None or empty = none); a series enters on the day its publication
    rule (``rotation.data.align``) makes it public, and each is aligned once.
    """

    def __init__(
        self,
        macro: Mapping[str, pd.Series],
        capex: pd.DataFrame,
        signal: SignalConfig,
        calendar: pd.DatetimeIndex,
        funding: pd.DataFrame | None = None,
    ) -> None:
        self.macro, self.capex, self.signal, self.calendar = macro, capex, signal, calendar
        self.funding = funding
        self._known: dict[str, pd.Series] = {}
        self._funding: pd.DataFrame | None = None

    def __call__(self, series_id: str) -> pd.Series:
        if series_id not in self._known:
            from rotation.data.align import as_known

            rule = self.rule(series_id)
            self._known[series_id] = as_known(self.macro[series_id], self.calendar, rule)
        return self._known[series_id]

    def rule(self, series_id: str) -> Publication:
        """The publication rule of a FRED series under this signal config's overrides."""
        return publication_rule(series_id, self.signal)

    def capex_growth(self) -> pd.Series:
        """Capex growth YoY known on each day: the hyperscaler aggregate where it is known,
        PNFI's year-over-year growth (after its publication lag) before that."""
        from rotation.data.align import as_known

        pnfi_yoy = as_known(
            pct_change(self.macro["PNFI"], 4).dropna(), self.calendar, self.rule("PNFI")
        )
        if self.signal.capex == "pnfi" or self.capex.empty:
            return pnfi_yoy.rename(CAPEX_INPUT)
        from rotation.data.capex import aggregate_capex_yoy

        hyperscalers = aggregate_capex_yoy(self.capex, self.calendar)
        return hyperscalers.combine_first(pnfi_yoy).rename(CAPEX_INPUT)

    def funding_measures(self) -> pd.DataFrame:
        """``data.funding.funding_measures`` on this calendar (coverage, external share and the
        tickers each summed); all NaN without funding items or capex quarters."""
        if self._funding is None:
            from rotation.data import funding

            items = self.funding if self.funding is not None else funding.empty()
            self._funding = funding.funding_measures(items, self.capex, self.calendar)
        return self._funding


@dataclass(frozen=True)
class Component:
    """One signal component: the inputs it reads (FRED ids, or ``CAPEX_INPUT``) and its score
    (positive = capital scarcer), both as functions of the signal config."""

    reads: Callable[[SignalConfig], tuple[str, ...]]
    score: Callable[[Known], pd.Series]


def _change_args(s: SignalConfig) -> _Changing:
    return {"change_days": s.change_days, **_normalize_args(s)}


def _normalize_args(s: SignalConfig) -> Normalization:
    return {"method": s.normalization, "window": s.window_days, "min_periods": s.min_history_days}


def _liquidity_reads(s: SignalConfig) -> tuple[str, ...]:
    if s.liquidity == "net_liquidity":
        return ("RRPONTSYD", "WALCL", "WTREGEN")
    return ("RRPONTSYD",)


def _liquidity(k: Known) -> pd.Series:
    s = k.signal
    net = None
    if s.liquidity == "net_liquidity":
        net = net_liquidity(k("WALCL"), k("WTREGEN"), k("RRPONTSYD"))
    return liquidity_score(k("RRPONTSYD"), net, drain=s.liquidity_drain, **_change_args(s))


def _capex(k: Known) -> pd.Series:
    s = k.signal
    acceleration = s.change_days if s.capex_acceleration else None
    return capex_score(k.capex_growth(), acceleration_days=acceleration, **_normalize_args(s))


def _funding(k: Known) -> pd.Series:
    measures = k.funding_measures()
    return funding_score(
        measures["coverage"], measures["external_share"], **_normalize_args(k.signal)
    )


def _one_series(field: str, score: Callable[..., pd.Series]) -> Component:
    """A component that scores the one series the signal config names in ``field`` (level and
    change over ``change_days``)."""
    return Component(
        lambda s: (getattr(s, field),),
        lambda k: score(k(getattr(k.signal, field)), **_change_args(k.signal)),
    )


def _cost_of_capital_reads(s: SignalConfig) -> tuple[str, ...]:
    extra = (s.term_premium_series, s.corporate_yield_series)
    return (s.yield_series, *(e for e in extra if e is not None))


def _cost_of_capital(k: Known) -> pd.Series:
    """The yield's level-and-change score; with a term premium and/or a corporate yield
    series, the mean of each series' own score (each counts once, known ones only)."""
    scores = [
        cost_of_capital_score(k(series), **_change_args(k.signal))
        for series in _cost_of_capital_reads(k.signal)
    ]
    return scores[0] if len(scores) == 1 else _mean_available(scores)


COMPONENTS: Mapping[str, Component] = {
    "cost_of_capital": Component(_cost_of_capital_reads, _cost_of_capital),
    "credit": _one_series("credit_series", credit_score),
    "liquidity": Component(_liquidity_reads, _liquidity),
    "capex": Component(lambda s: (CAPEX_INPUT,), _capex),
    "real_yield": _one_series("real_yield_series", cost_of_capital_score),
    "curve": _one_series("curve_series", curve_score),
    "high_yield": _one_series("high_yield_series", credit_score),
    "conditions": _one_series("conditions_series", conditions_score),
    "funding": Component(lambda s: (FUNDING_INPUT,), _funding),
}
"""Component name -> what it reads and how it scores: the one place a component is defined.
Its names are the config's ``SIGNAL_COMPONENTS``; the scores' formulas are in the module
docstring."""


def component_inputs(signal: SignalConfig) -> dict[str, tuple[str, ...]]:
    """Component -> the inputs it reads, for every component the config computes."""
    return {c: COMPONENTS[c].reads(signal) for c in signal.components}


def macro_series(signal: SignalConfig) -> tuple[str, ...]:
    """The FRED series a signal config reads (PNFI stands in for the capex input)."""
    reads = (r for names in component_inputs(signal).values() for r in names)
    macro = ("PNFI" if r == CAPEX_INPUT else r for r in reads if r != FUNDING_INPUT)
    return tuple(dict.fromkeys(macro))


def reads_capex(signal: SignalConfig) -> bool:
    """Whether ``signal`` reads the hyperscaler capex filings (``data.capex``), not PNFI only:
    for its capex component, or for the funding component (capex over operating cash flow)."""
    return reads_funding(signal) or (
        signal.capex == "hyperscalers" and bool(signal.weights.get("capex", 0))
    )


def reads_funding(signal: SignalConfig) -> bool:
    """Whether ``signal`` reads the hyperscalers' cash-flow items (with weight 0: shown in the
    diagnostics, not used)."""
    return "funding" in signal.weights


def signal_calendar(macro: Mapping[str, pd.Series], end: pd.Timestamp) -> pd.DatetimeIndex:
    """Business days from the first macro observation to ``end``.

    Signals live on this calendar, not on the universe's trading days, so that one signal
    config gives one regime history whatever assets a config trades.
    """
    first = min(series.index[0] for series in macro.values())
    return pd.bdate_range(first, end, name="date")


def build_signals(
    macro: Mapping[str, pd.Series],
    capex: pd.DataFrame,
    signal: SignalConfig,
    calendar: pd.DatetimeIndex,
    funding: pd.DataFrame | None = None,
) -> Scores:
    """Component scores and the composite on ``calendar`` (dates x components + composite).

    Computed on the business-day ``signal_calendar`` and sampled on ``calendar`` by taking,
    on each day, the latest business day's values at or before it. ``funding``: the
    hyperscalers' funding items (``data.funding``), read by the ``funding`` component.
    """
    days = signal_calendar(macro, calendar[-1])
    known = Known(macro, capex, signal, days, funding)
    scores = pd.DataFrame({c: COMPONENTS[c].score(known) for c in signal.components}, index=days)
    scores["composite"] = composite(scores, signal.weights, min_components=signal.min_components)
    return scores.reindex(calendar, method="ffill")
