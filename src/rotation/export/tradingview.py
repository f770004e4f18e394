"""TradingView: webhook alert bodies (per signal, per order) and a Pine Script of the regime.

Webhook alerts (TradingView Help Center, "How to configure webhook alerts" and "How to use a
variable value in alert"): TradingView POSTs an alert's message as the request body, with
``Content-Type: application/json`` when the message is valid JSON. The body's fields are the
user's choice; the order alerts here use the names of TradingView's own placeholders, filled as
a TradingView strategy alert would fill them, so a receiver written for TradingView alerts (or a
bridge such as TradersPost) reads them unchanged:

| field | TradingView placeholder | value here |
|---|---|---|
| ``ticker`` | ``{{ticker}}`` | TradingView symbol: ``MU``; crypto ``BTC-USD`` -> ``BTCUSD`` |
| ``action`` | ``{{strategy.order.action}}`` | ``buy`` or ``sell`` |
| ``contracts`` | ``{{strategy.order.contracts}}`` | quantity to trade (string) |
| ``price`` | ``{{close}}`` | the latest close the order was sized at (string) |
| ``time`` | ``{{time}}`` | that close's date, ``yyyy-MM-ddTHH:mm:ssZ`` (UTC) |
| ``timenow`` | ``{{timenow}}`` | when the export ran, same format |
| ``position_size`` | ``{{strategy.position_size}}`` | quantity held after the order (string) |
| ``market_position`` | ``{{strategy.market_position}}`` | ``long`` or ``flat`` after the order |
| ``id`` | ``{{strategy.order.id}}`` | the order's id (the Alpaca ``client_order_id``) |
| ``comment`` | ``{{strategy.order.comment}}`` | regime and target weight, in words |

plus ``strategy`` (config name) and ``schema_version``. Signal alerts (one per decision date in
the feed) carry ``kind: "signal"``, ``id`` (config hash, decision date and regime: the same
decision always has the same id, so a receiver, and ``rotation export --post``, can tell a body
already delivered), ``strategy``, ``time`` (the decision: the session close, 16:00
America/New_York, of the decision day, in UTC), ``timenow``,
``regime``, ``previous_regime``, ``composite``, ``weights`` (TradingView ticker -> weight),
``trade_on_or_after``, ``config_hash`` and ``schema_version``.

Pine Script (v6, TradingView "Pine Script v6 User Manual": ``indicator``, ``array.from``,
``while``, ``time_close``, ``plot`` with ``plot.style_stepline``, ``bgcolor``, ``hline``): the
regime history, from the first day of the price data the feed uses (the backtest window's start,
not the first macro observation), is embedded as two arrays (the UNIX-millisecond time of each
regime change and the new state) and the script plots, on each bar, the last state whose change
time is <= the bar's close (``time_close``; ``time`` where a chart has none). A change is stamped
at the session close of its decision day, 16:00 America/New_York (20:00 or 21:00 UTC with
daylight saving time), since the regime is decided at that close: no bar, daily or intraday,
shows a regime before the close that decided it.

Size guard: Pine limits a script's compiled size (TradingView, error CE10117 "Compiled code
contains too many tokens": at most 100,256 tokens of the compiled intermediate language) and an
array's size (Pine User Manual, "Limitations": 100,000 elements). The compiled size cannot be
computed here, so ``pine_script`` counts the source's tokens and refuses (``PineSizeError``, with
the counts) a script of more than half the compiled limit, or with an array over the element
limit; shorten the history (a later config ``start``) to export it.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from collections.abc import Mapping
from typing import Any

import pandas as pd

from rotation.data.align import is_crypto
from rotation.errors import RotationError
from rotation.export.feed import SCHEMA_VERSION, SignalFeed
from rotation.export.orders import OrderPlan, format_quantity

STATE_CODES = {"abundant": -1, "neutral": 0, "scarce": 1}
SESSION_CLOSE = dt.time(16, 0)  # the US equity session close the regime is decided at
SESSION_ZONE = "America/New_York"
PINE_MAX_COMPILED_TOKENS = 100_256  # CE10117: the largest compiled script
PINE_MAX_SOURCE_TOKENS = PINE_MAX_COMPILED_TOKENS // 2  # source tokens are not compiled ones
PINE_MAX_ARRAY_SIZE = 100_000  # "Limitations": elements in one array
_PINE_TOKEN = re.compile(r'[A-Za-z_][A-Za-z0-9_.]*|\d+|"[^"\n]*"|[^\s\w]')


class PineSizeError(RotationError):
    """The Pine Script would exceed TradingView's script-size or array limits."""


def tradingview_ticker(symbol: str) -> str:
    """TradingView's spelling of a config symbol: ``BTC-USD`` -> ``BTCUSD``, equities as is."""
    return symbol.replace("-", "") if is_crypto(symbol) else symbol


def _tv_time(day: pd.Timestamp | dt.datetime) -> str:
    """TradingView's ``{{time}}`` format: ``yyyy-MM-ddTHH:mm:ssZ`` in UTC."""
    moment = pd.Timestamp(day)
    moment = moment.tz_localize("UTC") if moment.tzinfo is None else moment.tz_convert("UTC")
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def session_close(day: pd.Timestamp) -> pd.Timestamp:
    """The session close of ``day`` (16:00 America/New_York, daylight saving time included),
    in UTC: when a regime decided on ``day`` becomes known."""
    local = dt.datetime.combine(pd.Timestamp(day).date(), SESSION_CLOSE)
    return pd.Timestamp(local).tz_localize(SESSION_ZONE).tz_convert("UTC")


def signal_id(config_hash: str, decided_at: pd.Timestamp, regime: str | None) -> str:
    """A signal alert's id: the same decision (config, day, regime) always gets the same id."""
    text = f"{config_hash}|{pd.Timestamp(decided_at).date()}|{regime}"
    return "sig-" + hashlib.sha256(text.encode()).hexdigest()[:24]


def signal_alerts(feed: SignalFeed) -> list[dict[str, Any]]:
    """One webhook body per decision in the feed (oldest first)."""
    p = feed.provenance
    before = _regime_before(feed, feed.decisions[0].decided_at)
    alerts = []
    for d in feed.decisions:
        alerts.append(
            {
                "schema_version": SCHEMA_VERSION,
                "kind": "signal",
                "id": signal_id(p.config_hash, d.decided_at, d.regime),
                "strategy": p.config_name,
                "time": _tv_time(session_close(d.decided_at)),
                "timenow": _tv_time(p.generated_at),
                "regime": d.regime,
                "previous_regime": before,
                "composite": d.composite,
                "weights": {tradingview_ticker(s): w for s, w in d.weights.items()},
                "trade_on_or_after": d.trade_on_or_after.date().isoformat(),
                "config_hash": p.config_hash,
            }
        )
        before = d.regime
    return alerts


def _regime_before(feed: SignalFeed, day: pd.Timestamp) -> str | None:
    earlier = feed.regime_history.loc[: day - pd.Timedelta(days=1)].dropna()
    return str(earlier.iloc[-1]) if len(earlier) else None


def order_alerts(
    plan: OrderPlan, feed: SignalFeed, order_ids: Mapping[str, str]
) -> list[dict[str, Any]]:
    """One webhook body per trade of ``plan``, in the plan's order (sells first)."""
    p, latest = feed.provenance, feed.latest
    alerts = []
    for t in plan.trades:
        price_day = feed.latest_closes[t.symbol][0]
        alerts.append(
            {
                "schema_version": SCHEMA_VERSION,
                "strategy": p.config_name,
                "ticker": tradingview_ticker(t.symbol),
                "action": t.side,
                "contracts": format_quantity(t.quantity),
                "price": _price(t.price),
                "time": _tv_time(price_day),
                "timenow": _tv_time(p.generated_at),
                "position_size": format_quantity(t.target_quantity),
                "market_position": "long" if t.target_quantity > 0 else "flat",
                "id": order_ids[t.symbol],
                "comment": (
                    f"regime {latest.regime} decided {latest.decided_at.date()}: target weight "
                    f"{t.target_weight:.4f}"
                ),
            }
        )
    return alerts


def regime_changes(regime: pd.Series) -> pd.Series:
    """The dates on which the known regime changed (the first known state included)."""
    known = regime.dropna()
    return known[known.ne(known.shift())]


def pine_script(feed: SignalFeed) -> str:
    """A Pine Script v6 indicator that plots the feed's regime history as a stepped series;
    ``PineSizeError`` when it would exceed Pine's size limits (module docstring)."""
    p = feed.provenance
    changes = regime_changes(feed.regime_history)
    if len(changes) > PINE_MAX_ARRAY_SIZE:
        raise PineSizeError(
            f"tradingview/regime.pine: {len(changes):,} regime changes exceed Pine's "
            f"{PINE_MAX_ARRAY_SIZE:,} elements per array; shorten the history (a later start)"
        )
    times = [str(_unix_ms(session_close(day))) for day in changes.index]
    states = [str(STATE_CODES[state]) for state in changes]
    # a Pine string literal: no quotes, backslashes or line breaks from the config name
    name = "".join(c for c in p.config_name if c.isprintable() and c not in '"\\')
    title = f"rotation regime: {name}"
    lines = [
        "//@version=6",
        f"// Generated by rotation export (feed schema {SCHEMA_VERSION}): the regime history of",
        f"// config {p.config_name!r}, config_hash {p.config_hash[:16]}, data_fingerprint "
        f"{p.data_fingerprint[:16]},",
        f"// as of {p.asof.date()} (data to {p.data_end.date()}), from {_first_day(feed)}. "
        f"{len(changes)} regime changes.",
        "// changeTimes: UNIX ms of the session close (16:00 America/New_York) of each day on",
        "// which the regime changed: the state is decided at that close. changeStates: the new",
        "// state, 1 = scarce, 0 = neutral, -1 = abundant. A bar shows the last state changed at",
        "// or before the bar's close, so never before the close that decided it. Bars before",
        "// the first change show no state.",
        f'indicator("{title}", shorttitle="regime", overlay=false)',
        "",
        f"var array<int> changeTimes = array.from({', '.join(times)})",
        f"var array<int> changeStates = array.from({', '.join(states)})",
        "var int idx = -1",
        "int barClose = na(time_close) ? time : time_close",
        "while idx + 1 < array.size(changeTimes) and array.get(changeTimes, idx + 1) <= barClose",
        "    idx += 1",
        "int state = idx >= 0 ? array.get(changeStates, idx) : na",
        "color stateColor = state == 1 ? color.red : state == -1 ? color.green : color.gray",
        'plot(state, "regime (1 scarce, 0 neutral, -1 abundant)", color=stateColor, '
        "linewidth=2, style=plot.style_stepline)",
        "bgcolor(na(state) ? na : color.new(stateColor, 85))",
        'hline(1, "scarce", color=color.red, linestyle=hline.style_dotted)',
        'hline(0, "neutral", color=color.gray, linestyle=hline.style_dotted)',
        'hline(-1, "abundant", color=color.green, linestyle=hline.style_dotted)',
        "",
    ]
    script = "\n".join(lines)
    tokens = len(_PINE_TOKEN.findall(script))
    if tokens > PINE_MAX_SOURCE_TOKENS:
        raise PineSizeError(
            f"tradingview/regime.pine: {len(changes):,} regime changes make {tokens:,} source "
            f"tokens, over the {PINE_MAX_SOURCE_TOKENS:,} kept to stay under Pine's "
            f"{PINE_MAX_COMPILED_TOKENS:,} compiled tokens; shorten the history (a later start)"
        )
    return script


def _first_day(feed: SignalFeed) -> str:
    history = feed.regime_history
    return str(history.index[0].date()) if len(history) else "no data"


def _unix_ms(moment: pd.Timestamp) -> int:
    return int(moment.timestamp() * 1000)


def _price(value: float) -> str:
    return f"{value:.2f}" if value >= 1 else f"{value:.6f}"
