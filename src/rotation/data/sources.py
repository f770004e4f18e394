"""Data sources: where series come from. Each returns series in the tidy form of ``_files``.

A source answers four questions: the price series of a symbol, a macro series by its FRED id,
the hyperscaler capex quarters and their funding items (each with the close from which each
value is known). The bundled
snapshot and a user's local folder share one layout, so one class serves both:

    <root>/prices/<SYMBOL>.csv[.gz] | .parquet     date, close (or adj_close)
    <root>/macro/<SERIES_ID>.csv[.gz] | .parquet   date, value
    <root>/capex/PNFI.csv[.gz] | .parquet          date, value
    <root>/capex/raw/...                           filings files (see capex.py)
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Protocol

import pandas as pd

from rotation.data._files import SUFFIXES, find_file, read_table, tidy_series
from rotation.errors import DataError

if TYPE_CHECKING:
    from rotation.config import Config

BUNDLED_DIR = Path(__file__).parent / "bundled"


class DataSource(Protocol):
    """What the pipeline needs from any source (bundled, local folder, live cache)."""

    description: str

    def prices(self, symbol: str) -> pd.Series: ...

    def macro(self, series_id: str) -> pd.Series: ...

    def capex_quarters(self) -> pd.DataFrame: ...

    def funding_items(self) -> pd.DataFrame: ...


class FolderSource:
    """A folder in the bundled layout: the shipped snapshot or a user's own CSV/Parquet files."""

    def __init__(self, root: Path, description: str | None = None) -> None:
        self.root = Path(root)
        if not self.root.is_dir():
            raise DataError(f"data folder {self.root} does not exist")
        self.description = description or f"local folder {self.root}"

    def _series(self, subfolders: tuple[str, ...], key: str, *, positive: bool) -> pd.Series:
        path = find_file(self.root, subfolders, key)
        if path is None:
            where = ", ".join(f"{self.root / s}" for s in subfolders)
            raise DataError(f"no data for {key!r} in {self.description} (looked in {where})")
        return tidy_series(read_table(path), key, str(path), positive=positive)

    def prices(self, symbol: str) -> pd.Series:
        return self._series(("prices",), symbol, positive=True)

    def macro(self, series_id: str) -> pd.Series:
        return self._series(("macro", "capex"), series_id, positive=False)

    def capex_quarters(self) -> pd.DataFrame:
        from rotation.data.capex import load_capex_folder

        return load_capex_folder(self.root / "capex")

    def funding_items(self) -> pd.DataFrame:
        """The hyperscalers' funding items (``data.funding``) in the press-release files of
        ``capex/raw``; an empty table when there are none."""
        from rotation.data.funding import load_funding_folder

        return load_funding_folder(self.root / "capex")

    def symbols(self) -> set[str]:
        """Price symbols present in the folder (file stems under ``prices/``)."""
        return self._stems(("prices",))

    def macro_ids(self) -> set[str]:
        """Macro series present in the folder (file stems under ``macro/`` and ``capex/``)."""
        return self._stems(("macro", "capex"))

    def _stems(self, subfolders: tuple[str, ...]) -> set[str]:
        names = set()
        for subfolder in subfolders:
            for path in (self.root / subfolder).glob("*"):
                for suffix in SUFFIXES:
                    if path.is_file() and path.name.endswith(suffix):
                        names.add(path.name[: -len(suffix)])
        return names


def bundled() -> FolderSource:
    """The snapshot shipped with the package (real data; provenance in bundled/SOURCES.md)."""
    return FolderSource(BUNDLED_DIR, description="bundled snapshot")


def open_source(config: Config) -> DataSource:
    """The data source a config names (``data.source``: bundled, local or live)."""
    if config.data.source == "bundled":
        return bundled()
    if config.data.source == "local":
        return FolderSource(config.resolve_path(config.data.path or "."))
    from rotation.data.live import LiveSource

    cache = config.resolve_path(config.data.cache) if config.data.cache else None
    from rotation.signals import publication_rule

    return LiveSource(
        cache,
        refresh=config.data.refresh,
        vintages=config.data.vintages,
        publication=lambda series_id: publication_rule(series_id, config.signal),
    )
