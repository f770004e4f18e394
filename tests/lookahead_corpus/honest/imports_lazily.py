"""Test fixture, honest: imports modules inside ``target_weights`` (the import system opens
files, which the sandbox allows) and weighs by inverse volatility of the past 63 days."""

from dataclasses import dataclass


@dataclass(frozen=True)
class Params:
    pass


def target_weights(batch, params):
    import colorsys  # noqa: F401  (not imported yet: the import system opens its source)
    import statistics

    import numpy as np

    returns = batch.prices.pct_change(fill_method=None).to_numpy()
    out = np.zeros((len(params), len(batch.rows), returns.shape[1]))
    for r, row in enumerate(batch.rows):
        window = returns[max(0, row - 62) : row + 1]
        vol = np.array(
            [
                statistics.pstdev(col[np.isfinite(col)]) if np.isfinite(col).sum() > 2 else np.nan
                for col in window.T
            ]
        )
        score = np.where(np.isfinite(vol) & (vol > 0), 1.0 / vol, 0.0)
        out[:, r] = score / score.sum() if score.sum() > 0 else 0.0
    return out
