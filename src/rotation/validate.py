"""A config checked against what it names: symbols in the data source, the strategy file and
its parameters. ``load_config`` reads a config (``rotation.config.read_config``) and checks it;
every command loads configs through it, so a bad config fails before any work starts.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING

from rotation._typed import suggest
from rotation.config import Config, read_config
from rotation.errors import ConfigError, DataError

if TYPE_CHECKING:
    from rotation.data.sources import DataSource

# The data source and the strategy loader (pandas, numba) are imported by the checks that use
# them, so a config that fails its schema costs no more than reading YAML.

# Yahoo exchange suffixes of non-USD listings. Such prices need an FX series to be compared
# with USD assets; none is configured yet, so they are rejected at load.
NON_USD_SUFFIXES = {
    ".KS": "KRW", ".KQ": "KRW", ".T": "JPY", ".L": "GBP", ".HK": "HKD", ".TO": "CAD",
    ".DE": "EUR", ".PA": "EUR", ".AS": "EUR", ".SW": "CHF", ".TW": "TWD", ".SS": "CNY",
}  # fmt: skip


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
        check_currencies(config.universe)
        try:
            source = open_source(config)
        except DataError as exc:
            raise ConfigError(f"data.path: {exc}") from None
        except OSError as exc:  # e.g. a name too long for the file system
            raise ConfigError(f"data.path: cannot open ({exc.strerror})") from None
        check_symbols(config.universe, config.benchmark, source)
        check_risk_free(config, source)
        check_strategy(config)
    except ConfigError as exc:
        raise ConfigError(f"{label}: {exc}") from None


def check_currencies(universe: Mapping[str, Iterable[str]]) -> None:
    """Refuse a listing priced in another currency (no FX conversion is configured)."""
    for sleeve, symbols in universe.items():
        for symbol in symbols:
            for suffix, currency in NON_USD_SUFFIXES.items():
                if symbol.upper().endswith(suffix):
                    raise ConfigError(
                        f"universe.{sleeve}: {symbol!r} is priced in {currency}; non-USD assets "
                        "need an FX series to convert them to USD, and none is configured. "
                        "Remove it or use a USD listing."
                    )


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


def check_strategy(config: Config) -> None:
    """The strategy file exists and accepts the config's ``strategy.params``."""
    from rotation.strategy import load_strategy

    try:
        strategy = load_strategy(config.strategy.name, config.resolve_path(config.strategies_dir))
    except OSError as exc:
        raise ConfigError(f"strategies_dir: cannot open ({exc.strerror})") from None
    strategy.parse_params(config.strategy.params, config)
