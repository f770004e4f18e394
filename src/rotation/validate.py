"""A config checked against what it names: symbols in the data source, the strategy file and
its parameters. ``load_config`` reads a config (``rotation.config.read_config``) and checks it;
every command loads configs through it, so a bad config fails before any work starts.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING

from rotation._typed import suggest
from rotation.config import Config, SignalConfig, read_config
from rotation.errors import ConfigError, DataError

if TYPE_CHECKING:
    from rotation.data.sources import DataSource

# The data source and the strategy loader (pandas, numba) are imported by the checks that use
# them, so a config that fails its schema costs no more than reading YAML.

# Yahoo Finance's exchange suffixes (its "exchanges and data providers" list) and the currency
# each quotes in. Such prices need an FX series to be compared with USD assets; none is
# configured yet, so they are refused at load. US listings have no suffix.
NON_USD_SUFFIXES = {
    ".BA": "ARS", ".AX": "AUD", ".XA": "AUD", ".VI": "EUR", ".BR": "EUR", ".SA": "BRL",
    ".CN": "CAD", ".NE": "CAD", ".TO": "CAD", ".V": "CAD", ".SN": "CLP", ".SS": "CNY",
    ".SZ": "CNY", ".PR": "CZK", ".CO": "DKK", ".CA": "EGP", ".TL": "EUR", ".HE": "EUR",
    ".NX": "EUR", ".PA": "EUR", ".BE": "EUR", ".BM": "EUR", ".DU": "EUR", ".F": "EUR",
    ".HM": "EUR", ".HA": "EUR", ".MU": "EUR", ".SG": "EUR", ".DE": "EUR", ".AT": "EUR",
    ".HK": "HKD", ".BD": "HUF", ".IC": "ISK", ".BO": "INR", ".NS": "INR", ".JK": "IDR",
    ".IR": "EUR", ".TA": "ILS", ".TI": "EUR", ".MI": "EUR", ".T": "JPY", ".FK": "JPY",
    ".S": "JPY", ".NG": "JPY", ".RG": "EUR", ".VS": "EUR", ".KL": "MYR", ".MX": "MXN",
    ".AS": "EUR", ".NZ": "NZD", ".OL": "NOK", ".LS": "EUR", ".QA": "QAR", ".ME": "RUB",
    ".SR": "SAR", ".SI": "SGD", ".JO": "ZAR", ".KS": "KRW", ".KQ": "KRW", ".MC": "EUR",
    ".ST": "SEK", ".SW": "CHF", ".TWO": "TWD", ".TW": "TWD", ".BK": "THB", ".IS": "TRY",
    ".AE": "AED", ".L": "GBP", ".IL": "GBP", ".CR": "VES", ".VN": "VND", ".PS": "PHP",
    ".WA": "PLN", ".KW": "KWD", ".LK": "LKR", ".KA": "PKR", ".NL": "EUR", ".CL": "CLP",
}  # fmt: skip
# Quote currencies of Yahoo crypto pairs other than the dollar (BTC-EUR is priced in EUR).
NON_USD_QUOTES = ("EUR", "GBP", "JPY", "CAD", "AUD", "KRW", "CHF", "CNY", "INR", "BTC", "ETH")


def load_config(path: str | Path) -> Config:
    """Read ``path`` (schema checks) and check it against its data source and strategy."""
    config = read_config(path)
    check_config(config)
    return config


def check_config(config: Config) -> None:
    """Raise ``ConfigError`` (naming the file and key) when ``config`` names a non-USD listing,
    a symbol its data source does not have, or strategy parameters its strategy rejects."""
    from rotation.data.sources import open_source

    label = config.source_path or config.name
    try:
        check_currencies(config.universe, config.benchmark)
        if config.risk_free_input is not None and config.risk_free_input[0] == "prices":
            check_currencies({}, config.risk_free_input[1], where="risk_free")
        try:
            source = open_source(config)
        except DataError as exc:
            raise ConfigError(f"data.path: {exc}") from None
        except OSError as exc:  # e.g. a name too long for the file system
            raise ConfigError(f"data.path: cannot open ({exc.strerror})") from None
        check_symbols(config.universe, config.benchmark, source)
        check_risk_free(config, source)
        check_macro([config.signal], source)
        check_series_settings(config)
        check_strategy(config)
    except ConfigError as exc:
        raise ConfigError(f"{label}: {exc}") from None


def check_currencies(
    universe: Mapping[str, Iterable[str]], benchmark: str | None = None, where: str = "benchmark"
) -> None:
    """Refuse a listing priced in another currency (no FX conversion is configured): a Yahoo
    exchange suffix (``NON_USD_SUFFIXES``) or a crypto pair quoted in another currency, in the
    universe or as the ``benchmark`` (named ``where`` in the message)."""
    named = [(f"universe.{sleeve}", s) for sleeve, symbols in universe.items() for s in symbols]
    for key, symbol in [*named, *([(where, benchmark)] if benchmark else [])]:
        currency = listing_currency(symbol)
        if currency is not None:
            raise ConfigError(
                f"{key}: {symbol!r} is priced in {currency}; non-USD assets need an FX series "
                "to convert them to USD, and none is configured. Remove it or use a USD listing."
            )


def listing_currency(symbol: str) -> str | None:
    """The currency of a non-USD Yahoo listing or crypto pair, None for a USD one."""
    upper = symbol.upper()
    stem, dot, suffix = upper.rpartition(".")
    if dot and stem and f".{suffix}" in NON_USD_SUFFIXES:
        return NON_USD_SUFFIXES[f".{suffix}"]
    base, dash, quote = upper.rpartition("-")
    if dash and base and quote in NON_USD_QUOTES:
        return quote
    return None


def check_symbols(
    universe: Mapping[str, Iterable[str]], benchmark: str, source: DataSource
) -> None:
    """Every symbol of ``universe`` and the ``benchmark`` is in ``source`` (when the source can
    list its symbols; live symbols are checked when fetched)."""
    known = source.symbols() if hasattr(source, "symbols") else None
    if known is None:
        return
    named = [(f"universe.{sleeve}", s) for sleeve, symbols in universe.items() for s in symbols]
    for where, symbol in [*named, ("benchmark", benchmark)]:
        if symbol not in known:
            raise ConfigError(
                f"{where}: unknown symbol {symbol!r}{suggest(symbol, known)}; "
                f"not in the {source.description}"
            )


def check_risk_free(config: Config, source: DataSource) -> None:
    """The series ``risk_free`` names is in ``source`` (when the source can list them)."""
    if config.risk_free_input is None:
        return
    kind, key = config.risk_free_input
    lister = getattr(source, "symbols" if kind == "prices" else "macro_ids", None)
    known = lister() if lister is not None else None
    if known is not None and key not in known:
        what = "symbol" if kind == "prices" else "FRED series"
        raise ConfigError(
            f"risk_free: unknown {what} {key!r}{suggest(key, known)}; not in the "
            f"{source.description}"
        )


def check_macro(signals: Iterable[SignalConfig], source: DataSource) -> None:
    """Every FRED series the ``signals`` read is in ``source`` (when it lists them)."""
    from rotation.signals import macro_series

    lister = getattr(source, "macro_ids", None)
    known = lister() if lister is not None else None
    if known is None:
        return
    for signal in signals:
        for series_id in macro_series(signal):
            if series_id not in known:
                raise ConfigError(
                    f"signal: reads FRED series {series_id!r}{suggest(series_id, known)}, "
                    f"which is not in the {source.description}"
                )


def check_series_settings(config: Config) -> None:
    """Every series ``signal.publication_lags`` and ``signal.release_times`` name is one the
    config reads (its signal's FRED series, a FRED ``risk_free``) or one of the release table
    (``rotation.data.align.PUBLICATION_LAGS``): a typo is an error, not an ignored setting."""
    from rotation.data.align import PUBLICATION_LAGS
    from rotation.signals import macro_series

    reads = list(macro_series(config.signal))
    if config.risk_free_input is not None and config.risk_free_input[0] == "macro":
        reads.append(config.risk_free_input[1])
    known = list(dict.fromkeys([*reads, *PUBLICATION_LAGS]))
    for key in ("publication_lags", "release_times"):
        for series_id in getattr(config.signal, key):
            if series_id not in known:
                raise ConfigError(
                    f"signal.{key}.{series_id}: unknown series {series_id!r}"
                    f"{suggest(series_id, known)}; the config reads {', '.join(reads)} "
                    f"(the release table also knows {', '.join(sorted(set(known) - set(reads)))})"
                )


def check_strategy(config: Config) -> None:
    """The strategy file exists and accepts the config's ``strategy.params``."""
    from rotation.strategy import load_strategy

    try:
        strategy = load_strategy(config.strategy.name, config.resolve_path(config.strategies_dir))
    except OSError as exc:
        raise ConfigError(f"strategies_dir: cannot open ({exc.strerror})") from None
    strategy.parse_params(config.strategy.params, config)
