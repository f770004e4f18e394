"""Named aliases that say the shape of what flows between the stages of DESIGN.md.

All frames are indexed by a tz-naive, sorted, unique ``DatetimeIndex`` named ``date``.
"""

from __future__ import annotations

from typing import TypeAlias

import pandas as pd

Prices: TypeAlias = pd.DataFrame
"""dates x symbols, adjusted close in the asset's currency; NaN before an asset's first print."""

Returns: TypeAlias = pd.Series
"""dates, simple daily returns (0.01 = +1 %)."""

Weights: TypeAlias = pd.DataFrame
"""dates x symbols, target fraction of portfolio value; rows sum to <= 1, NaN row = no trade."""

Scores: TypeAlias = pd.DataFrame
"""dates x components, unitless point-in-time scores (positive = capital scarcer)."""

Regime: TypeAlias = pd.Series
"""dates, one of ``"abundant"``, ``"neutral"``, ``"scarce"`` (NaN while warming up)."""

Series: TypeAlias = pd.Series
"""dates, one raw observed series (a price, a yield, a macro level)."""
